"""Signing in and out, the account page, changing the password, signing out everywhere."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import services
from accounts.models import ApiToken, SignedInSession
from notifications import mail
from people.services import password_problems
from web.forms import NHSFormMixin

PASSWORD_HINT = (
    "At least 8 characters. Not only numbers, not a common password and not like your "
    "name or username. A few words strung together are easy to remember and hard to guess."
)


class SignInForm(NHSFormMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": "The username or password is not right. Check them and try again.",
        "inactive": "This account is switched off. Ask your programme manager for help.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.label = "Username"
        username.help_text = "Usually your e-mail address."
        username.error_messages["required"] = "Enter your username"
        username.widget.attrs.pop("autofocus", None)
        username.widget.attrs.update(spellcheck="false", autocapitalize="none")
        self.fields["password"].error_messages["required"] = "Enter your password"


class PlainPasswordRules:
    """Django's password validators, their findings in the service's words."""

    def validate_password_for_user(self, user, password_field_name="password2"):  # noqa: S107
        password = self.cleaned_data.get(password_field_name)
        if password:
            for problem in password_problems(password, user):
                self.add_error(password_field_name, problem)


class ChangePasswordForm(PlainPasswordRules, NHSFormMixin, PasswordChangeForm):
    error_messages = {
        "password_incorrect": "Your current password is not right. Enter the password you "
                              "signed in with.",
        "password_mismatch": "The new passwords do not match. Type the same new password twice.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = PASSWORD_HINT
        self.fields["new_password2"].label = "Type the new password again"
        self.fields["old_password"].error_messages["required"] = "Enter your current password"
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].error_messages["required"] = "Type the new password again"
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)


def _idle_minutes() -> int:
    return settings.SESSION_COOKIE_AGE // 60


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True
    extra_context = {"idle_minutes": _idle_minutes,
                     "failure_limit": lambda: settings.AXES_FAILURE_LIMIT}


class ResetRequestForm(NHSFormMixin, PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = "E-mail address"
        field.help_text = "The address your invitation was sent to."
        field.error_messages.update({
            "required": "Enter your e-mail address",
            "invalid": "Enter an e-mail address in the right form, like name@example.org",
        })

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):
        """The reset e-mail, labelled like every e-mail of the service. It is about an
        account, not a programme, so its subject names the service instead."""
        subject = render_to_string(subject_template_name, context)
        body = render_to_string(email_template_name, context)
        mail.message(subject=subject, body=body, to=[to_email], kind="password_reset").send()


class NewPasswordForm(PlainPasswordRules, NHSFormMixin, SetPasswordForm):
    error_messages = {
        "password_mismatch": "The new passwords do not match. Type the same new password twice.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = PASSWORD_HINT
        self.fields["new_password2"].label = "Type the new password again"
        self.fields["new_password2"].help_text = ""
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].error_messages["required"] = "Type the new password again"


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset: an e-mail with a link to set a new password. The page
    says the same whether or not the address has an account."""

    template_name = "web/password_reset_form.html"
    form_class = ResetRequestForm
    email_template_name = "web/email/password_reset.txt"
    subject_template_name = "web/email/password_reset_subject.txt"
    success_url = reverse_lazy("web:password-reset-sent")


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "web/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("web:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # A new password ends every session and API token made with the old one.
        services.password_changed(actor=form.user, current_session_key=None)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, which keeps this session signed in; then every other
    session and every API token of the user ends."""

    template_name = "web/password_change.html"
    form_class = ChangePasswordForm
    success_url = reverse_lazy("web:account")

    def form_valid(self, form):
        response = super().form_valid(form)  # saves, and moves this session to the new hash
        services.password_changed(actor=form.user,
                                  current_session_key=self.request.session.session_key)
        messages.success(self.request, "Your password is changed. You are still signed in "
                         "here; everywhere else you have been signed out, and your API tokens "
                         "have ended.")
        return response


@login_required
def account(request):
    user = request.user
    return render(request, "web/account.html", {
        "sessions": SignedInSession.objects.filter(user=user).count(),
        "tokens": ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).count(),
        "idle_minutes": _idle_minutes(),
        "max_hours": int(settings.SESSION_MAX_AGE.total_seconds() // 3600),
    })


@login_required
@require_POST
def sign_out_everywhere(request):
    ended = services.sign_out_everywhere(actor=request.user)
    logout(request)
    messages.success(
        request,
        f"You are signed out everywhere: {ended['sessions_ended']} signed-in "
        f"session{'s' if ended['sessions_ended'] != 1 else ''} and {ended['tokens_ended']} "
        f"API token{'s' if ended['tokens_ended'] != 1 else ''} ended.",
    )
    return redirect("web:login")
