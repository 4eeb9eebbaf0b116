from django.urls import path

from territoire.accounts import views

app_name = "accounts"

urlpatterns = [
    path("double-authentification/activer/", views.enrol, name="mfa-enrol"),
    path("double-authentification/verifier/", views.verify, name="mfa-verify"),
    path("double-authentification/codes-de-secours/", views.recovery_codes, name="mfa-recovery-codes"),
]
