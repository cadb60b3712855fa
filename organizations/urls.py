from django.urls import path

from organizations import views

app_name = "organizations"

urlpatterns = [
    path("", views.organization_list, name="list"),
    path("<uuid:organization_id>/", views.organization_detail, name="detail"),
    path("<uuid:organization_id>/members/<int:membership_id>/role/", views.change_role, name="change_role"),
    path("<uuid:organization_id>/members/<int:membership_id>/remove/", views.remove_member, name="remove"),
    path("<uuid:organization_id>/invitations/", views.invite, name="invite"),
    path(
        "<uuid:organization_id>/invitations/<int:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("<uuid:organization_id>/dissolve/", views.dissolve, name="dissolve"),
    path("<uuid:organization_id>/api-tokens/", views.create_token, name="create_token"),
    path("<uuid:organization_id>/api-tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]
