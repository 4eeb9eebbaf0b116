"""Staff account pages: the second factor's enrolment, check and recovery codes (/compte/)."""

from django.urls import include, path

from territoire.accounts import home, views
from territoire.core.http import staff_page

app_name = "accounts"

urlpatterns = [
    path("double-authentification/activer/", views.enrol, name="mfa-enrol"),
    path("double-authentification/verifier/", views.verify, name="mfa-verify"),
    path("double-authentification/codes-de-secours/", views.recovery_codes, name="mfa-recovery-codes"),
]

# Mounted at the site root (the accounts manifest declares it).
root_urlpatterns = [path("compte/", include((urlpatterns, app_name)))]

# The staff home, in the localised site (French at /espace/, English at /en/espace/).
public_urlpatterns = [path("espace/", staff_page(home.staff_home), name="staff-home")]
