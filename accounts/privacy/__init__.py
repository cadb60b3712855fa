"""The privacy center: access and export, restriction and objection, deletion, and the registry
sections of the accounts app (``registry``)."""
