"""Domain errors, mapped to HTTP answers once, in ``core.api.rest.exception_handler``."""


class DomainError(Exception):
    """A rule of the domain refused the change; nothing was written."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def extra(self) -> dict:
        """More of the answer's body, beside ``detail`` and ``code`` (none by default)."""
        return {}


class InvalidTransition(DomainError):
    """The object is not in a state that allows this change (e.g. a submitted assessment)."""

    status_code = 409
    code = "invalid_state"


class Conflict(DomainError):
    """The change would clash with another object (e.g. a second open gap for one item)."""

    status_code = 409
    code = "conflict"


class StaleVersion(DomainError):
    """The client wrote with a ``version`` older than the stored one."""

    status_code = 409
    code = "stale_version"


class PreconditionFailed(DomainError):
    """An ``If-Match`` header did not match the stored ETag."""

    status_code = 412
    code = "precondition_failed"


class LimitExceeded(DomainError):
    """A capacity or an amount would be exceeded (places on an offer, money in a stream)."""

    status_code = 409
    code = "limit_exceeded"


class Incomplete(InvalidTransition):
    """An assessment was submitted with applicable items unanswered."""

    code = "incomplete"

    def __init__(self, message: str, *, unanswered: list[str]):
        super().__init__(message)
        self.unanswered = unanswered

    def extra(self) -> dict:
        return {"unanswered": self.unanswered}


class ConsensusNeeded(InvalidTransition):
    """Contributors' ratings of some items split and no agreed note was recorded yet."""

    code = "consensus_needed"

    def __init__(self, message: str, *, items: list[str]):
        super().__init__(message)
        self.items = items

    def extra(self) -> dict:
        return {"items": self.items}


class CycleNotOpen(InvalidTransition):
    """The cycle's window has not started yet (submitting before ``period_start``)."""

    code = "cycle_not_open"


class CycleClosed(InvalidTransition):
    """A manager closed the cycle: nothing in it can start, change or be submitted."""

    code = "cycle_closed"
