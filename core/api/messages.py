"""The API's own words for the mistakes DRF finds in a request, in plain English.

DRF writes its field messages for developers of DRF ("A valid integer is required.",
"Incorrect type. Expected pk value, received str."). The service's readers include
partner leads writing a first script, so the API says what to send instead. A field
reads its messages from its class's ``default_error_messages`` when it is made, so
``use_plain_field_messages`` runs when the apps are ready, before any serializer module
is imported. The placeholders are DRF's own, filled in by DRF.

Messages the request as a whole gets (not signed in, not allowed, not found, wrong
method, throttled) are reworded by ``plain_detail`` in the exception handler, and only
where the text is still DRF's own: the service's domain errors and its token checks
already say what went wrong.
"""

import re

from rest_framework import exceptions, fields, relations, serializers

DATE_EXAMPLE = "2027-03-31"
_RANGE = {"max_value": "This must be {max_value} or less.",
          "min_value": "This must be {min_value} or more."}
_NUMBER = {**_RANGE, "max_string_length": "This number is too long."}
_LIST = {"not_a_list": "Give a list, in square brackets.",
         "empty": "Give at least one item.",
         "min_length": "Give at least {min_length} items.",
         "max_length": "Give {max_length} items or fewer."}

FIELD_MESSAGES: dict[type[fields.Field], dict[str, str]] = {
    fields.Field: {
        "required": "This is required: give a value.",
        "null": "This is required: give a value, not null.",
    },
    fields.BooleanField: {"invalid": "Give true or false."},
    fields.CharField: {
        "invalid": "Give this as text.",
        "blank": "This is required: it cannot be blank.",
        "max_length": "Keep this to {max_length} characters or fewer.",
        "min_length": "Write at least {min_length} characters.",
    },
    fields.EmailField: {"invalid": "Give an e-mail address, like name@example.nhs.uk."},
    fields.RegexField: {"invalid": "This is not in the form this field needs."},
    fields.SlugField: {"invalid": "Use only letters, numbers, hyphens and underscores."},
    fields.URLField: {"invalid": "Give a full web address, like https://example.nhs.uk/."},
    fields.UUIDField: {"invalid": "Give an identifier in the form the API sends it."},
    fields.IntegerField: {**_NUMBER, "invalid": "Give a whole number, like 3."},
    fields.FloatField: {**_NUMBER, "invalid": "Give a number, like 2.5.",
                        "overflow": "This number is too large."},
    fields.DecimalField: {
        **_NUMBER,
        "invalid": "Give a number, like 250 or 250.50.",
        "max_digits": "Use {max_digits} digits or fewer in all.",
        "max_decimal_places": "Use {max_decimal_places} digits or fewer after the point.",
        "max_whole_digits": "Use {max_whole_digits} digits or fewer before the point.",
    },
    fields.DateTimeField: {
        "invalid": "Give a real date and time, like 2027-03-31T14:30:00Z.",
        "date": "Give a time as well as the date, like 2027-03-31T14:30:00Z.",
        "make_aware": "This time does not exist in {timezone}: the clocks change then.",
        "overflow": "This date and time is too far away.",
    },
    fields.DateField: {
        "invalid": f"Give a real date, as year-month-day, like {DATE_EXAMPLE}.",
        "datetime": f"Give a date without a time, like {DATE_EXAMPLE}.",
    },
    fields.TimeField: {"invalid": "Give a time as hours and minutes, like 14:30."},
    fields.DurationField: {
        **_RANGE,
        "invalid": "Give a length of time, like 01:30:00 for an hour and a half.",
        "overflow": "The number of days must be between {min_days} and {max_days}.",
    },
    fields.ChoiceField: {
        "invalid_choice": '"{input}" is not one of the values this field takes.',
    },
    fields.MultipleChoiceField: {
        "invalid_choice": '"{input}" is not one of the values this field takes.',
        "not_a_list": "Give a list of values, in square brackets.",
        "empty": "Choose at least one value.",
    },
    fields.FileField: {
        "required": "Attach a file.",
        "invalid": "Attach a file, sent as multipart/form-data.",
        "no_name": "Give the file a name.",
        "empty": "The file is empty.",
        "max_length": "Keep the file's name to {max_length} characters or fewer.",
    },
    fields.ListField: _LIST,
    fields.DictField: {"not_a_dict": "Give an object of names and values, in curly brackets."},
    fields.JSONField: {"invalid": "Give valid JSON."},
    relations.PrimaryKeyRelatedField: {
        "required": "This is required: give a value.",
        "does_not_exist": "There is no record with id {pk_value} that you can use here.",
        "incorrect_type": "Give the record's id as a number.",
    },
    relations.SlugRelatedField: {
        "does_not_exist": 'There is no record with {slug_name} "{value}".',
        "invalid": "This value cannot be used here.",
    },
    relations.ManyRelatedField: {
        "not_a_list": "Give a list of ids, in square brackets.",
        "empty": "Give at least one id.",
    },
    serializers.Serializer: {"invalid": "Send an object of fields and values, in curly brackets."},
    serializers.ListSerializer: _LIST,
}


def use_plain_field_messages() -> None:
    """Give every DRF field class the service's messages (idempotent)."""
    for field_class, messages in FIELD_MESSAGES.items():
        # the class's own dict, so a subclass never changes its parent's messages
        field_class.default_error_messages = {
            **field_class.__dict__.get("default_error_messages", {}), **messages}


_NOT_SIGNED_IN = ("Sign in first: send your API token in the Authorization header, as "
                  "'Authorization: Token <your token>'. POST your username and password "
                  "to /api/v1/auth/token/ for a token.")
_BAD_CREDENTIALS = ("These credentials are not valid. POST your username and password "
                    "to /api/v1/auth/token/ for an API token.")

# DRF's own texts for the request as a whole, and the service's words for each.
_LIBRARY_DETAIL: list[tuple[type, re.Pattern, str]] = [
    (exceptions.NotAuthenticated, re.compile(r"Authentication credentials were not provided"),
     _NOT_SIGNED_IN),
    (exceptions.AuthenticationFailed,
     re.compile(r"Incorrect authentication credentials"), _BAD_CREDENTIALS),
    (exceptions.PermissionDenied, re.compile(r"You do not have permission to perform"),
     "You are not allowed to do this."),
    (exceptions.NotFound, re.compile(r"Not found\.|No \w+ matches the given query"),
     "There is nothing here, or nothing you can see. Check the address and the id in it."),
    (exceptions.MethodNotAllowed, re.compile(r'Method "(?P<method>[^"]*)" not allowed'),
     "{method} is not allowed at this address. The API documentation lists the methods "
     "each address takes."),
    (exceptions.UnsupportedMediaType,
     re.compile(r'Unsupported media type "(?P<media_type>[^"]*)" in request'),
     "This address does not take a {media_type} body. Send JSON, with "
     "'Content-Type: application/json'."),
    (exceptions.NotAcceptable, re.compile(r"Could not satisfy the request Accept header"),
     "This address cannot answer in the format the Accept header asks for. Ask for "
     "application/json."),
    (exceptions.ParseError, re.compile(r"JSON parse error"),
     "The body is not valid JSON. Check its quotes, commas and brackets."),
    (exceptions.ParseError, re.compile(r"Malformed request"),
     "The body could not be read. Send JSON, with 'Content-Type: application/json'."),
    (exceptions.Throttled, re.compile(r"Request was throttled\. Expected available in "
                                      r"(?P<wait>\d+) seconds?"),
     "Too many requests in a short time. Try again in {wait} seconds."),
    (exceptions.Throttled, re.compile(r"Request was throttled"),
     "Too many requests in a short time. Try again in a minute."),
]


def plain_detail(exc: exceptions.APIException) -> None:
    """Replace the library's wording of ``exc``'s detail with the service's, in place;
    a detail the service wrote is left as it is."""
    detail = getattr(exc, "detail", None)
    if not isinstance(detail, str):
        return
    for exc_class, pattern, message in _LIBRARY_DETAIL:
        if isinstance(exc, exc_class) and (match := pattern.search(detail)):
            exc.detail = exceptions.ErrorDetail(message.format(**match.groupdict()),
                                                code=getattr(detail, "code", None))
            return
