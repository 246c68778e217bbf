"""The one exception family of wfpsim.

Every error the engine raises is a :class:`WfpError`. Each subclass carries the real
``FWP_E_*`` name and HRESULT from ``winerror.h`` (and, for kernel-mode calls, the
``STATUS_FWP_*`` twin from ``ntstatus.h``: same low word, ``0xC022`` high word), so the
lesson carries over to a real driver's return codes.

>>> from wfpsim.errors import AlreadyExistsError
>>> err = AlreadyExistsError("filter {…} is already in the engine")
>>> err.code, hex(err.hresult), hex(err.status)
('FWP_E_ALREADY_EXISTS', '0x80320009', '0xc0220009')
>>> isinstance(err, WfpError)
True
"""

from __future__ import annotations


class WfpError(Exception):
    """Base of every wfpsim error: a message naming the bad value and what is valid."""

    code: str = "FWP_E_INVALID_PARAMETER"
    hresult: int = 0x80320035

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def status(self) -> int:
        """The kernel-mode ``STATUS_FWP_*`` twin of :attr:`hresult`."""
        if self.hresult & 0xFFFF0000 == 0x80320000:
            return 0xC0220000 | (self.hresult & 0xFFFF)
        return self.hresult

    def __str__(self) -> str:
        return f"{self.code} (0x{self.hresult:08X}): {self.message}"


class CalloutNotFoundError(WfpError):
    """No callout with that key or id."""

    code = "FWP_E_CALLOUT_NOT_FOUND"
    hresult = 0x80320001


class ConditionNotFoundError(WfpError):
    """The layer has no field for that condition."""

    code = "FWP_E_CONDITION_NOT_FOUND"
    hresult = 0x80320002


class FilterNotFoundError(WfpError):
    """No filter with that key or id."""

    code = "FWP_E_FILTER_NOT_FOUND"
    hresult = 0x80320003


class LayerNotFoundError(WfpError):
    """No layer with that name, key or id."""

    code = "FWP_E_LAYER_NOT_FOUND"
    hresult = 0x80320004


class ProviderNotFoundError(WfpError):
    """No provider with that key."""

    code = "FWP_E_PROVIDER_NOT_FOUND"
    hresult = 0x80320005


class SublayerNotFoundError(WfpError):
    """No sublayer with that key."""

    code = "FWP_E_SUBLAYER_NOT_FOUND"
    hresult = 0x80320007


class NotFoundError(WfpError):
    """The object does not exist."""

    code = "FWP_E_NOT_FOUND"
    hresult = 0x80320008


class AlreadyExistsError(WfpError):
    """An object with that key exists."""

    code = "FWP_E_ALREADY_EXISTS"
    hresult = 0x80320009


class InUseError(WfpError):
    """The object is referenced by other objects."""

    code = "FWP_E_IN_USE"
    hresult = 0x8032000A


class DynamicSessionInProgressError(WfpError):
    """A dynamic session cannot delete an object it does not own."""

    code = "FWP_E_DYNAMIC_SESSION_IN_PROGRESS"
    hresult = 0x8032000B


class WrongSessionError(WfpError):
    """The object belongs to another dynamic session."""

    code = "FWP_E_WRONG_SESSION"
    hresult = 0x8032000C


class NoTxnInProgressError(WfpError):
    """No explicit transaction is open."""

    code = "FWP_E_NO_TXN_IN_PROGRESS"
    hresult = 0x8032000D


class TxnInProgressError(WfpError):
    """The session already has an explicit transaction."""

    code = "FWP_E_TXN_IN_PROGRESS"
    hresult = 0x8032000E


class SessionAbortedError(WfpError):
    """The session has been closed."""

    code = "FWP_E_SESSION_ABORTED"
    hresult = 0x80320010


class IncompatibleTxnError(WfpError):
    """The call is not allowed in a read-only transaction."""

    code = "FWP_E_INCOMPATIBLE_TXN"
    hresult = 0x80320011


class TxnTimeoutError(WfpError):
    """Another session holds the transaction lock."""

    code = "FWP_E_TIMEOUT"
    hresult = 0x80320012


class IncompatibleLayerError(WfpError):
    """The callout's applicable layer is not the filter's layer."""

    code = "FWP_E_INCOMPATIBLE_LAYER"
    hresult = 0x80320014


class LifetimeMismatchError(WfpError):
    """An object may not reference a shorter-lived object."""

    code = "FWP_E_LIFETIME_MISMATCH"
    hresult = 0x80320016


class BuiltinObjectError(WfpError):
    """Built-in objects cannot be added or deleted."""

    code = "FWP_E_BUILTIN_OBJECT"
    hresult = 0x80320017


class InvalidFlagsError(WfpError):
    """The flags are invalid or conflict."""

    code = "FWP_E_INVALID_FLAGS"
    hresult = 0x8032001E


class InvalidNetMaskError(WfpError):
    """The address mask is invalid."""

    code = "FWP_E_INVALID_NET_MASK"
    hresult = 0x8032001F


class InvalidRangeError(WfpError):
    """The range is invalid (low > high)."""

    code = "FWP_E_INVALID_RANGE"
    hresult = 0x80320020


class NullDisplayNameError(WfpError):
    """The object has no display name."""

    code = "FWP_E_NULL_DISPLAY_NAME"
    hresult = 0x80320023


class InvalidActionTypeError(WfpError):
    """The action type is not valid for a filter."""

    code = "FWP_E_INVALID_ACTION_TYPE"
    hresult = 0x80320024


class InvalidWeightError(WfpError):
    """The weight is not valid."""

    code = "FWP_E_INVALID_WEIGHT"
    hresult = 0x80320025


class MatchTypeMismatchError(WfpError):
    """The match type cannot be used with that data type."""

    code = "FWP_E_MATCH_TYPE_MISMATCH"
    hresult = 0x80320026


class TypeMismatchError(WfpError):
    """The value has the wrong data type."""

    code = "FWP_E_TYPE_MISMATCH"
    hresult = 0x80320027


class OutOfBoundsError(WfpError):
    """The value is out of bounds."""

    code = "FWP_E_OUT_OF_BOUNDS"
    hresult = 0x80320028


class DuplicateConditionError(WfpError):
    """The same condition appears twice."""

    code = "FWP_E_DUPLICATE_CONDITION"
    hresult = 0x8032002A


class ActionIncompatibleWithLayerError(WfpError):
    """The action is not allowed at that layer."""

    code = "FWP_E_ACTION_INCOMPATIBLE_WITH_LAYER"
    hresult = 0x8032002C


class InvalidParameterError(WfpError):
    """A parameter is invalid."""

    code = "FWP_E_INVALID_PARAMETER"
    hresult = 0x80320035


class CalloutNotificationFailedError(WfpError):
    """The callout's notifyFn rejected the filter."""

    code = "FWP_E_CALLOUT_NOTIFICATION_FAILED"
    hresult = 0x80320037


class DeviceBusyError(WfpError):
    """The callout still has flow contexts associated (FwpsCalloutUnregisterById0)."""

    code = "STATUS_DEVICE_BUSY"
    hresult = 0x80000011


#: Every error class by its ``FWP_E_*`` (or ``STATUS_*``) name.
BY_CODE: dict[str, type[WfpError]] = {
    cls.code: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, WfpError) and cls is not WfpError
}
