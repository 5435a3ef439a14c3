from cetak.api.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AckStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACK_STATUS_UNSPECIFIED: _ClassVar[AckStatus]
    APPLIED: _ClassVar[AckStatus]
    DUPLICATE: _ClassVar[AckStatus]
    FLAGGED: _ClassVar[AckStatus]
ACK_STATUS_UNSPECIFIED: AckStatus
APPLIED: AckStatus
DUPLICATE: AckStatus
FLAGGED: AckStatus

class AgentMessage(_message.Message):
    __slots__ = ("hello", "credit", "event", "printer_status", "heartbeat", "lease_return", "operator_action", "events")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    PRINTER_STATUS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    LEASE_RETURN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ACTION_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    credit: Credit
    event: JobEvent
    printer_status: _common_pb2.PrinterStatus
    heartbeat: Heartbeat
    lease_return: LeaseReturn
    operator_action: OperatorAction
    events: EventBatch
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., credit: _Optional[_Union[Credit, _Mapping]] = ..., event: _Optional[_Union[JobEvent, _Mapping]] = ..., printer_status: _Optional[_Union[_common_pb2.PrinterStatus, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., lease_return: _Optional[_Union[LeaseReturn, _Mapping]] = ..., operator_action: _Optional[_Union[OperatorAction, _Mapping]] = ..., events: _Optional[_Union[EventBatch, _Mapping]] = ...) -> None: ...

class ControllerMessage(_message.Message):
    __slots__ = ("welcome", "lease", "ack", "lease_revoke", "heartbeat", "leases", "window_update")
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    LEASE_REVOKE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    LEASES_FIELD_NUMBER: _ClassVar[int]
    WINDOW_UPDATE_FIELD_NUMBER: _ClassVar[int]
    welcome: Welcome
    lease: Lease
    ack: Ack
    lease_revoke: LeaseRevoke
    heartbeat: Heartbeat
    leases: LeaseBatch
    window_update: WindowUpdate
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., lease: _Optional[_Union[Lease, _Mapping]] = ..., ack: _Optional[_Union[Ack, _Mapping]] = ..., lease_revoke: _Optional[_Union[LeaseRevoke, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., leases: _Optional[_Union[LeaseBatch, _Mapping]] = ..., window_update: _Optional[_Union[WindowUpdate, _Mapping]] = ...) -> None: ...

class EventBatch(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[JobEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[JobEvent, _Mapping]]] = ...) -> None: ...

class LeaseBatch(_message.Message):
    __slots__ = ("leases",)
    LEASES_FIELD_NUMBER: _ClassVar[int]
    leases: _containers.RepeatedCompositeFieldContainer[Lease]
    def __init__(self, leases: _Optional[_Iterable[_Union[Lease, _Mapping]]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("agent_id", "site_code", "printers", "software_version", "held_lease_ids", "window_hours", "batches")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    PRINTERS_FIELD_NUMBER: _ClassVar[int]
    SOFTWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    HELD_LEASE_IDS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_HOURS_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    site_code: str
    printers: _containers.RepeatedCompositeFieldContainer[_common_pb2.PrinterInfo]
    software_version: str
    held_lease_ids: _containers.RepeatedScalarFieldContainer[str]
    window_hours: float
    batches: bool
    def __init__(self, agent_id: _Optional[str] = ..., site_code: _Optional[str] = ..., printers: _Optional[_Iterable[_Union[_common_pb2.PrinterInfo, _Mapping]]] = ..., software_version: _Optional[str] = ..., held_lease_ids: _Optional[_Iterable[str]] = ..., window_hours: _Optional[float] = ..., batches: _Optional[bool] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("server_time_ms", "skew_margin_ms", "lease_duration_ms", "window", "controller_id", "batches")
    SERVER_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    SKEW_MARGIN_MS_FIELD_NUMBER: _ClassVar[int]
    LEASE_DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_ID_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    server_time_ms: int
    skew_margin_ms: int
    lease_duration_ms: int
    window: int
    controller_id: str
    batches: bool
    def __init__(self, server_time_ms: _Optional[int] = ..., skew_margin_ms: _Optional[int] = ..., lease_duration_ms: _Optional[int] = ..., window: _Optional[int] = ..., controller_id: _Optional[str] = ..., batches: _Optional[bool] = ...) -> None: ...

class WindowUpdate(_message.Message):
    __slots__ = ("window",)
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    window: int
    def __init__(self, window: _Optional[int] = ...) -> None: ...

class Credit(_message.Message):
    __slots__ = ("slots",)
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    slots: int
    def __init__(self, slots: _Optional[int] = ...) -> None: ...

class Lease(_message.Message):
    __slots__ = ("lease_id", "campaign_id", "record_id", "epoch", "expires_at_ms", "record", "priority")
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_MS_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    lease_id: str
    campaign_id: str
    record_id: str
    epoch: int
    expires_at_ms: int
    record: _common_pb2.CardRecord
    priority: int
    def __init__(self, lease_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., record_id: _Optional[str] = ..., epoch: _Optional[int] = ..., expires_at_ms: _Optional[int] = ..., record: _Optional[_Union[_common_pb2.CardRecord, _Mapping]] = ..., priority: _Optional[int] = ...) -> None: ...

class LeaseReturn(_message.Message):
    __slots__ = ("lease_ids", "reason")
    LEASE_IDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    lease_ids: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, lease_ids: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class LeaseRevoke(_message.Message):
    __slots__ = ("lease_ids", "reason")
    LEASE_IDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    lease_ids: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, lease_ids: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("event_id", "lease_id", "epoch", "record_id", "attempt_id", "state", "reason", "printer_id", "blank_serial", "occurred_at_ms", "campaign_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PRINTER_ID_FIELD_NUMBER: _ClassVar[int]
    BLANK_SERIAL_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    lease_id: str
    epoch: int
    record_id: str
    attempt_id: str
    state: _common_pb2.AttemptState
    reason: str
    printer_id: str
    blank_serial: str
    occurred_at_ms: int
    campaign_id: str
    def __init__(self, event_id: _Optional[str] = ..., lease_id: _Optional[str] = ..., epoch: _Optional[int] = ..., record_id: _Optional[str] = ..., attempt_id: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.AttemptState, str]] = ..., reason: _Optional[str] = ..., printer_id: _Optional[str] = ..., blank_serial: _Optional[str] = ..., occurred_at_ms: _Optional[int] = ..., campaign_id: _Optional[str] = ...) -> None: ...

class EventAck(_message.Message):
    __slots__ = ("event_id", "status", "detail")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    status: AckStatus
    detail: str
    def __init__(self, event_id: _Optional[str] = ..., status: _Optional[_Union[AckStatus, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class Ack(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[EventAck]
    def __init__(self, events: _Optional[_Iterable[_Union[EventAck, _Mapping]]] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("time_ms",)
    TIME_MS_FIELD_NUMBER: _ClassVar[int]
    time_ms: int
    def __init__(self, time_ms: _Optional[int] = ...) -> None: ...

class OperatorAction(_message.Message):
    __slots__ = ("action_id", "action", "printer_id", "detail", "occurred_at_ms")
    ACTION_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    PRINTER_ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    action_id: str
    action: str
    printer_id: str
    detail: str
    occurred_at_ms: int
    def __init__(self, action_id: _Optional[str] = ..., action: _Optional[str] = ..., printer_id: _Optional[str] = ..., detail: _Optional[str] = ..., occurred_at_ms: _Optional[int] = ...) -> None: ...
