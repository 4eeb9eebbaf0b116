"""Staff account pages: the second factor's enrolment, check and recovery codes (/compte/)."""

from django.urls import include, path

from territoire.accounts import views

app_name = "accounts"

urlpatterns = [
    path("double-authentification/activer/", views.enrol, name="mfa-enrol"),
    path("double-authentification/verifier/", views.verify, name="mfa-verify"),
    path("double-authentification/codes-de-secours/", views.recovery_codes, name="mfa-recovery-codes"),
]

# Mounted at the site root (the accounts manifest declares it).
root_urlpatterns = [path("compte/", include((urlpatterns, app_name)))]
