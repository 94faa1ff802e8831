"""Django's password rules, with messages and help texts in the service's words.

The rules are Django's own (settings.AUTH_PASSWORD_VALIDATORS); only what a person reads
is ours, so the admin, the API and the pages all say the same.
"""

from django.contrib.auth import password_validation as django_rules


class MinimumLengthValidator(django_rules.MinimumLengthValidator):
    def get_error_message(self):
        return f"Your password must be at least {self.min_length} characters long."

    def get_help_text(self):
        return f"Your password must be at least {self.min_length} characters long."


class UserAttributeSimilarityValidator(django_rules.UserAttributeSimilarityValidator):
    def get_error_message(self):
        return "Your password is too like your name or e-mail address: choose another."

    def get_help_text(self):
        return "Your password must not be like your name, username or e-mail address."


class CommonPasswordValidator(django_rules.CommonPasswordValidator):
    def get_error_message(self):
        return "This password is too common and easy to guess: choose another."

    def get_help_text(self):
        return "Your password must not be a common password, like password123."


class NumericPasswordValidator(django_rules.NumericPasswordValidator):
    def get_error_message(self):
        return "Your password cannot be only numbers."

    def get_help_text(self):
        return "Your password must not be only numbers."
