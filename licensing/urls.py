from django.urls import path, re_path

from licensing import api, api_docs, integrator_views, org_api, release_views, transfer_views, views

app_name = "licensing"

urlpatterns = [
    # The Machine API first: machines call it far more often than people open pages, and URL
    # resolution tries the patterns in order (no page pattern starts with "api/").
    path("api/v1/activations", api.activations, name="api_activations"),
    path("api/v1/validate", api.validate, name="api_validate"),
    path("api/v1/deactivate", api.deactivate, name="api_deactivate"),
    path("api/v1/signing-keys", api.signing_keys, name="api_signing_keys"),
    path("api/v1/openapi.json", api_docs.openapi_json, name="api_openapi"),
    path("api/v1/docs", api_docs.docs, name="api_docs"),
    re_path(r"^api/v1(?:/(?P<rest>.*))?$", api.not_found),
    path("licenses/", views.license_list, name="list"),
    path("licenses/claim/", views.claim, name="claim"),
    path("licenses/trial/", views.trial, name="trial"),
    path("licenses/transfer/", transfer_views.offer, name="offer"),
    path("licenses/transfers/", transfer_views.transfer_list, name="transfers"),
    path(
        "licenses/transfers/<uuid:transfer_id>/withdraw/", transfer_views.withdraw, name="withdraw_transfer"
    ),
    path("licenses/transfers/accept/<str:token>/", transfer_views.accept, name="accept_transfer"),
    path("licenses/<uuid:license_id>/", views.license_detail, name="detail"),
    path("licenses/<uuid:license_id>/key/", views.show_key, name="show_key"),
    path("licenses/<uuid:license_id>/offline/", views.offline_request, name="offline"),
    path(
        "licenses/<uuid:license_id>/machines/<uuid:activation_id>/deactivate/",
        views.deactivate,
        name="deactivate",
    ),
    path(
        "licenses/<uuid:license_id>/machines/<uuid:activation_id>/certificate.lic",
        views.certificate,
        name="certificate",
    ),
    path("integrators/", integrator_views.overview, name="integrators"),
    path("integrators/accept/<str:token>/", integrator_views.accept, name="integrator_accept"),
    path(
        "organizations/<uuid:organization_id>/integrators/invite/",
        integrator_views.invite,
        name="integrator_invite",
    ),
    path(
        "organizations/<uuid:organization_id>/integrators/<uuid:grant_id>/revoke/",
        integrator_views.revoke,
        name="integrator_revoke",
    ),
    path(
        "organizations/<uuid:organization_id>/integrators/<uuid:grant_id>/change/",
        integrator_views.change,
        name="integrator_change",
    ),
    path("releases/", release_views.release_list, name="releases"),
    path("releases/feed/", release_views.release_feed, name="release_feed"),
    path("releases/<slug:product>/<str:version>/", release_views.release_detail, name="release"),
    path("downloads/<uuid:artifact_id>/", release_views.download, name="download"),
    path("downloads/<uuid:artifact_id>/signature/", release_views.signature, name="download_signature"),
    path("api/org/v1/licenses", org_api.licenses, name="org_api_licenses"),
    path("api/org/v1/licenses/<str:license_id>", org_api.license_detail, name="org_api_license"),
]
