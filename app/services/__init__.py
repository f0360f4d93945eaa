"""Use cases. Each function is keyword-only, checks permission, changes models, writes the
audit entry and flushes; it never commits (the request does, once)."""


class ServiceError(Exception):
    """A refusal with a message for the user (Chinese). Nothing has been changed when it is
    raised by a view's service call: the request rolls back."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(ServiceError):
    def __init__(self, message: str = "您没有进行此操作的权限。"):
        super().__init__(message)


class StaleData(ServiceError):
    def __init__(self, message: str = "数据已被他人修改，请刷新页面后重新操作。"):
        super().__init__(message)


class StageClosed(ServiceError):
    pass
