from cetak.api.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Resolution(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESOLUTION_UNSPECIFIED: _ClassVar[Resolution]
    RESOLVED_PRINTED: _ClassVar[Resolution]
    RESOLVED_SPOILED: _ClassVar[Resolution]
    RESOLVED_NOT_FED: _ClassVar[Resolution]
RESOLUTION_UNSPECIFIED: Resolution
RESOLVED_PRINTED: Resolution
RESOLVED_SPOILED: Resolution
RESOLVED_NOT_FED: Resolution

class Campaign(_message.Message):
    __slots__ = ("campaign_id", "name", "deadline_ms", "budget_baru", "budget_penggantian", "created_ms", "cancelled_ms", "cancel_reason")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    BUDGET_BARU_FIELD_NUMBER: _ClassVar[int]
    BUDGET_PENGGANTIAN_FIELD_NUMBER: _ClassVar[int]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_MS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    name: str
    deadline_ms: int
    budget_baru: int
    budget_penggantian: int
    created_ms: int
    cancelled_ms: int
    cancel_reason: str
    def __init__(self, campaign_id: _Optional[str] = ..., name: _Optional[str] = ..., deadline_ms: _Optional[int] = ..., budget_baru: _Optional[int] = ..., budget_penggantian: _Optional[int] = ..., created_ms: _Optional[int] = ..., cancelled_ms: _Optional[int] = ..., cancel_reason: _Optional[str] = ...) -> None: ...

class CreateCampaignRequest(_message.Message):
    __slots__ = ("campaign", "allow_past")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    ALLOW_PAST_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    allow_past: bool
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., allow_past: _Optional[bool] = ...) -> None: ...

class UpdateCampaignRequest(_message.Message):
    __slots__ = ("campaign_id", "name", "deadline_ms", "budget_baru", "budget_penggantian", "allow_past")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    BUDGET_BARU_FIELD_NUMBER: _ClassVar[int]
    BUDGET_PENGGANTIAN_FIELD_NUMBER: _ClassVar[int]
    ALLOW_PAST_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    name: str
    deadline_ms: int
    budget_baru: int
    budget_penggantian: int
    allow_past: bool
    def __init__(self, campaign_id: _Optional[str] = ..., name: _Optional[str] = ..., deadline_ms: _Optional[int] = ..., budget_baru: _Optional[int] = ..., budget_penggantian: _Optional[int] = ..., allow_past: _Optional[bool] = ...) -> None: ...

class CancelCampaignRequest(_message.Message):
    __slots__ = ("campaign_id", "reason")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    reason: str
    def __init__(self, campaign_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelCampaignResponse(_message.Message):
    __slots__ = ("campaign", "records_cancelled")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    RECORDS_CANCELLED_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    records_cancelled: int
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., records_cancelled: _Optional[int] = ...) -> None: ...

class ListCampaignsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCampaignsResponse(_message.Message):
    __slots__ = ("campaigns",)
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    campaigns: _containers.RepeatedCompositeFieldContainer[Campaign]
    def __init__(self, campaigns: _Optional[_Iterable[_Union[Campaign, _Mapping]]] = ...) -> None: ...

class ImportHeader(_message.Message):
    __slots__ = ("campaign_id", "format", "skip_invalid", "filename")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    SKIP_INVALID_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    format: str
    skip_invalid: bool
    filename: str
    def __init__(self, campaign_id: _Optional[str] = ..., format: _Optional[str] = ..., skip_invalid: _Optional[bool] = ..., filename: _Optional[str] = ...) -> None: ...

class ImportChunk(_message.Message):
    __slots__ = ("header", "data")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    header: ImportHeader
    data: bytes
    def __init__(self, header: _Optional[_Union[ImportHeader, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class RecordError(_message.Message):
    __slots__ = ("line", "field", "reason")
    LINE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    line: int
    field: str
    reason: str
    def __init__(self, line: _Optional[int] = ..., field: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ImportResult(_message.Message):
    __slots__ = ("valid", "invalid", "imported", "held", "errors")
    VALID_FIELD_NUMBER: _ClassVar[int]
    INVALID_FIELD_NUMBER: _ClassVar[int]
    IMPORTED_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    valid: int
    invalid: int
    imported: int
    held: int
    errors: _containers.RepeatedCompositeFieldContainer[RecordError]
    def __init__(self, valid: _Optional[int] = ..., invalid: _Optional[int] = ..., imported: _Optional[int] = ..., held: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[RecordError, _Mapping]]] = ...) -> None: ...

class StatusRequest(_message.Message):
    __slots__ = ("campaign_id", "interval_ms")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    interval_ms: int
    def __init__(self, campaign_id: _Optional[str] = ..., interval_ms: _Optional[int] = ...) -> None: ...

class SiteProgress(_message.Message):
    __slots__ = ("site_code", "site_name", "queued", "leased", "printed", "spoiled", "held", "unknown", "eta_ms", "will_miss_deadline", "late_by_ms", "cards_per_hour", "reasons", "blanks_available")
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    SITE_NAME_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    LEASED_FIELD_NUMBER: _ClassVar[int]
    PRINTED_FIELD_NUMBER: _ClassVar[int]
    SPOILED_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_FIELD_NUMBER: _ClassVar[int]
    ETA_MS_FIELD_NUMBER: _ClassVar[int]
    WILL_MISS_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    LATE_BY_MS_FIELD_NUMBER: _ClassVar[int]
    CARDS_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    BLANKS_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    site_code: str
    site_name: str
    queued: int
    leased: int
    printed: int
    spoiled: int
    held: int
    unknown: int
    eta_ms: int
    will_miss_deadline: bool
    late_by_ms: int
    cards_per_hour: float
    reasons: QueueReasons
    blanks_available: int
    def __init__(self, site_code: _Optional[str] = ..., site_name: _Optional[str] = ..., queued: _Optional[int] = ..., leased: _Optional[int] = ..., printed: _Optional[int] = ..., spoiled: _Optional[int] = ..., held: _Optional[int] = ..., unknown: _Optional[int] = ..., eta_ms: _Optional[int] = ..., will_miss_deadline: _Optional[bool] = ..., late_by_ms: _Optional[int] = ..., cards_per_hour: _Optional[float] = ..., reasons: _Optional[_Union[QueueReasons, _Mapping]] = ..., blanks_available: _Optional[int] = ...) -> None: ...

class QueueReasons(_message.Message):
    __slots__ = ("leased", "held_duplicate", "held_unknown", "held", "budget_spent", "budget_short", "no_blanks", "blanks_short", "printable")
    LEASED_FIELD_NUMBER: _ClassVar[int]
    HELD_DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    HELD_UNKNOWN_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    BUDGET_SPENT_FIELD_NUMBER: _ClassVar[int]
    BUDGET_SHORT_FIELD_NUMBER: _ClassVar[int]
    NO_BLANKS_FIELD_NUMBER: _ClassVar[int]
    BLANKS_SHORT_FIELD_NUMBER: _ClassVar[int]
    PRINTABLE_FIELD_NUMBER: _ClassVar[int]
    leased: int
    held_duplicate: int
    held_unknown: int
    held: int
    budget_spent: int
    budget_short: int
    no_blanks: int
    blanks_short: int
    printable: int
    def __init__(self, leased: _Optional[int] = ..., held_duplicate: _Optional[int] = ..., held_unknown: _Optional[int] = ..., held: _Optional[int] = ..., budget_spent: _Optional[int] = ..., budget_short: _Optional[int] = ..., no_blanks: _Optional[int] = ..., blanks_short: _Optional[int] = ..., printable: _Optional[int] = ...) -> None: ...

class CategoryBudget(_message.Message):
    __slots__ = ("kategori", "budget", "used", "left", "queued")
    KATEGORI_FIELD_NUMBER: _ClassVar[int]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    kategori: str
    budget: int
    used: int
    left: int
    queued: int
    def __init__(self, kategori: _Optional[str] = ..., budget: _Optional[int] = ..., used: _Optional[int] = ..., left: _Optional[int] = ..., queued: _Optional[int] = ...) -> None: ...

class CampaignStatus(_message.Message):
    __slots__ = ("campaign_id", "records", "queued", "leased", "printed", "spoiled", "held", "unknown", "rejected", "cancelled", "deadline_ms", "eta_ms", "will_miss_deadline", "sites", "as_of_ms", "cancelled_ms", "cancel_reason", "reasons", "cannot_print", "budgets", "on_track")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    LEASED_FIELD_NUMBER: _ClassVar[int]
    PRINTED_FIELD_NUMBER: _ClassVar[int]
    SPOILED_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    ETA_MS_FIELD_NUMBER: _ClassVar[int]
    WILL_MISS_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    SITES_FIELD_NUMBER: _ClassVar[int]
    AS_OF_MS_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_MS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    CANNOT_PRINT_FIELD_NUMBER: _ClassVar[int]
    BUDGETS_FIELD_NUMBER: _ClassVar[int]
    ON_TRACK_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    records: int
    queued: int
    leased: int
    printed: int
    spoiled: int
    held: int
    unknown: int
    rejected: int
    cancelled: int
    deadline_ms: int
    eta_ms: int
    will_miss_deadline: bool
    sites: _containers.RepeatedCompositeFieldContainer[SiteProgress]
    as_of_ms: int
    cancelled_ms: int
    cancel_reason: str
    reasons: QueueReasons
    cannot_print: int
    budgets: _containers.RepeatedCompositeFieldContainer[CategoryBudget]
    on_track: bool
    def __init__(self, campaign_id: _Optional[str] = ..., records: _Optional[int] = ..., queued: _Optional[int] = ..., leased: _Optional[int] = ..., printed: _Optional[int] = ..., spoiled: _Optional[int] = ..., held: _Optional[int] = ..., unknown: _Optional[int] = ..., rejected: _Optional[int] = ..., cancelled: _Optional[int] = ..., deadline_ms: _Optional[int] = ..., eta_ms: _Optional[int] = ..., will_miss_deadline: _Optional[bool] = ..., sites: _Optional[_Iterable[_Union[SiteProgress, _Mapping]]] = ..., as_of_ms: _Optional[int] = ..., cancelled_ms: _Optional[int] = ..., cancel_reason: _Optional[str] = ..., reasons: _Optional[_Union[QueueReasons, _Mapping]] = ..., cannot_print: _Optional[int] = ..., budgets: _Optional[_Iterable[_Union[CategoryBudget, _Mapping]]] = ..., on_track: _Optional[bool] = ...) -> None: ...

class WorkingHours(_message.Message):
    __slots__ = ("weekday", "start_minute", "end_minute")
    WEEKDAY_FIELD_NUMBER: _ClassVar[int]
    START_MINUTE_FIELD_NUMBER: _ClassVar[int]
    END_MINUTE_FIELD_NUMBER: _ClassVar[int]
    weekday: int
    start_minute: int
    end_minute: int
    def __init__(self, weekday: _Optional[int] = ..., start_minute: _Optional[int] = ..., end_minute: _Optional[int] = ...) -> None: ...

class Site(_message.Message):
    __slots__ = ("site_code", "name", "kecamatan", "hours", "overtime_cap_minutes", "timezone", "holidays", "printers_expected")
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KECAMATAN_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    OVERTIME_CAP_MINUTES_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    HOLIDAYS_FIELD_NUMBER: _ClassVar[int]
    PRINTERS_EXPECTED_FIELD_NUMBER: _ClassVar[int]
    site_code: str
    name: str
    kecamatan: str
    hours: _containers.RepeatedCompositeFieldContainer[WorkingHours]
    overtime_cap_minutes: int
    timezone: str
    holidays: _containers.RepeatedScalarFieldContainer[str]
    printers_expected: int
    def __init__(self, site_code: _Optional[str] = ..., name: _Optional[str] = ..., kecamatan: _Optional[str] = ..., hours: _Optional[_Iterable[_Union[WorkingHours, _Mapping]]] = ..., overtime_cap_minutes: _Optional[int] = ..., timezone: _Optional[str] = ..., holidays: _Optional[_Iterable[str]] = ..., printers_expected: _Optional[int] = ...) -> None: ...

class ListSitesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSitesResponse(_message.Message):
    __slots__ = ("sites",)
    SITES_FIELD_NUMBER: _ClassVar[int]
    sites: _containers.RepeatedCompositeFieldContainer[Site]
    def __init__(self, sites: _Optional[_Iterable[_Union[Site, _Mapping]]] = ...) -> None: ...

class ListPrintersRequest(_message.Message):
    __slots__ = ("site_code",)
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    site_code: str
    def __init__(self, site_code: _Optional[str] = ...) -> None: ...

class PrinterRecord(_message.Message):
    __slots__ = ("agent_id", "site_code", "info", "status", "agent_connected")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    AGENT_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    site_code: str
    info: _common_pb2.PrinterInfo
    status: _common_pb2.PrinterStatus
    agent_connected: bool
    def __init__(self, agent_id: _Optional[str] = ..., site_code: _Optional[str] = ..., info: _Optional[_Union[_common_pb2.PrinterInfo, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.PrinterStatus, _Mapping]] = ..., agent_connected: _Optional[bool] = ...) -> None: ...

class ListPrintersResponse(_message.Message):
    __slots__ = ("printers",)
    PRINTERS_FIELD_NUMBER: _ClassVar[int]
    printers: _containers.RepeatedCompositeFieldContainer[PrinterRecord]
    def __init__(self, printers: _Optional[_Iterable[_Union[PrinterRecord, _Mapping]]] = ...) -> None: ...

class InventoryMovement(_message.Message):
    __slots__ = ("movement_id", "site_code", "item", "kind", "quantity", "serial_from", "serial_to", "reference", "at_ms", "counterpart_site")
    MOVEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FROM_FIELD_NUMBER: _ClassVar[int]
    SERIAL_TO_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    AT_MS_FIELD_NUMBER: _ClassVar[int]
    COUNTERPART_SITE_FIELD_NUMBER: _ClassVar[int]
    movement_id: str
    site_code: str
    item: str
    kind: str
    quantity: int
    serial_from: str
    serial_to: str
    reference: str
    at_ms: int
    counterpart_site: str
    def __init__(self, movement_id: _Optional[str] = ..., site_code: _Optional[str] = ..., item: _Optional[str] = ..., kind: _Optional[str] = ..., quantity: _Optional[int] = ..., serial_from: _Optional[str] = ..., serial_to: _Optional[str] = ..., reference: _Optional[str] = ..., at_ms: _Optional[int] = ..., counterpart_site: _Optional[str] = ...) -> None: ...

class InventoryRequest(_message.Message):
    __slots__ = ("site_code",)
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    site_code: str
    def __init__(self, site_code: _Optional[str] = ...) -> None: ...

class SiteInventory(_message.Message):
    __slots__ = ("site_code", "blanks_received", "blanks_in_stock", "blanks_printed", "blanks_spoiled", "blanks_unknown", "blanks_transferred_out", "blanks_destroyed", "ribbons_received", "films_received", "ribbons_in_stock", "films_in_stock", "blank_ranges", "blanks_awaiting_destruction", "blanks_transferred_in", "blanks_received_direct", "attention", "stock_ranges")
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    BLANKS_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    BLANKS_IN_STOCK_FIELD_NUMBER: _ClassVar[int]
    BLANKS_PRINTED_FIELD_NUMBER: _ClassVar[int]
    BLANKS_SPOILED_FIELD_NUMBER: _ClassVar[int]
    BLANKS_UNKNOWN_FIELD_NUMBER: _ClassVar[int]
    BLANKS_TRANSFERRED_OUT_FIELD_NUMBER: _ClassVar[int]
    BLANKS_DESTROYED_FIELD_NUMBER: _ClassVar[int]
    RIBBONS_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    FILMS_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    RIBBONS_IN_STOCK_FIELD_NUMBER: _ClassVar[int]
    FILMS_IN_STOCK_FIELD_NUMBER: _ClassVar[int]
    BLANK_RANGES_FIELD_NUMBER: _ClassVar[int]
    BLANKS_AWAITING_DESTRUCTION_FIELD_NUMBER: _ClassVar[int]
    BLANKS_TRANSFERRED_IN_FIELD_NUMBER: _ClassVar[int]
    BLANKS_RECEIVED_DIRECT_FIELD_NUMBER: _ClassVar[int]
    ATTENTION_FIELD_NUMBER: _ClassVar[int]
    STOCK_RANGES_FIELD_NUMBER: _ClassVar[int]
    site_code: str
    blanks_received: int
    blanks_in_stock: int
    blanks_printed: int
    blanks_spoiled: int
    blanks_unknown: int
    blanks_transferred_out: int
    blanks_destroyed: int
    ribbons_received: int
    films_received: int
    ribbons_in_stock: int
    films_in_stock: int
    blank_ranges: _containers.RepeatedCompositeFieldContainer[SerialRange]
    blanks_awaiting_destruction: int
    blanks_transferred_in: int
    blanks_received_direct: int
    attention: _containers.RepeatedScalarFieldContainer[str]
    stock_ranges: _containers.RepeatedCompositeFieldContainer[SerialRange]
    def __init__(self, site_code: _Optional[str] = ..., blanks_received: _Optional[int] = ..., blanks_in_stock: _Optional[int] = ..., blanks_printed: _Optional[int] = ..., blanks_spoiled: _Optional[int] = ..., blanks_unknown: _Optional[int] = ..., blanks_transferred_out: _Optional[int] = ..., blanks_destroyed: _Optional[int] = ..., ribbons_received: _Optional[int] = ..., films_received: _Optional[int] = ..., ribbons_in_stock: _Optional[int] = ..., films_in_stock: _Optional[int] = ..., blank_ranges: _Optional[_Iterable[_Union[SerialRange, _Mapping]]] = ..., blanks_awaiting_destruction: _Optional[int] = ..., blanks_transferred_in: _Optional[int] = ..., blanks_received_direct: _Optional[int] = ..., attention: _Optional[_Iterable[str]] = ..., stock_ranges: _Optional[_Iterable[_Union[SerialRange, _Mapping]]] = ...) -> None: ...

class InventoryResponse(_message.Message):
    __slots__ = ("sites",)
    SITES_FIELD_NUMBER: _ClassVar[int]
    sites: _containers.RepeatedCompositeFieldContainer[SiteInventory]
    def __init__(self, sites: _Optional[_Iterable[_Union[SiteInventory, _Mapping]]] = ...) -> None: ...

class LookupRecordRequest(_message.Message):
    __slots__ = ("nik", "campaign_id")
    NIK_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    nik: str
    campaign_id: str
    def __init__(self, nik: _Optional[str] = ..., campaign_id: _Optional[str] = ...) -> None: ...

class AttemptSummary(_message.Message):
    __slots__ = ("attempt_id", "state", "reason", "printer_id", "blank_serial", "updated_ms")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PRINTER_ID_FIELD_NUMBER: _ClassVar[int]
    BLANK_SERIAL_FIELD_NUMBER: _ClassVar[int]
    UPDATED_MS_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    state: _common_pb2.AttemptState
    reason: str
    printer_id: str
    blank_serial: str
    updated_ms: int
    def __init__(self, attempt_id: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.AttemptState, str]] = ..., reason: _Optional[str] = ..., printer_id: _Optional[str] = ..., blank_serial: _Optional[str] = ..., updated_ms: _Optional[int] = ...) -> None: ...

class RecordSummary(_message.Message):
    __slots__ = ("record_id", "campaign_id", "site_code", "state", "hold_reason", "kategori", "attempts", "printed_ms", "why")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    HOLD_REASON_FIELD_NUMBER: _ClassVar[int]
    KATEGORI_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    PRINTED_MS_FIELD_NUMBER: _ClassVar[int]
    WHY_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    campaign_id: str
    site_code: str
    state: _common_pb2.RecordState
    hold_reason: str
    kategori: _common_pb2.Category
    attempts: _containers.RepeatedCompositeFieldContainer[AttemptSummary]
    printed_ms: int
    why: RecordReason
    def __init__(self, record_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., site_code: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.RecordState, str]] = ..., hold_reason: _Optional[str] = ..., kategori: _Optional[_Union[_common_pb2.Category, str]] = ..., attempts: _Optional[_Iterable[_Union[AttemptSummary, _Mapping]]] = ..., printed_ms: _Optional[int] = ..., why: _Optional[_Union[RecordReason, _Mapping]] = ...) -> None: ...

class RecordReason(_message.Message):
    __slots__ = ("reason", "budget", "budget_used", "queued_in_category", "blanks_available", "queued_at_site")
    REASON_FIELD_NUMBER: _ClassVar[int]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    BUDGET_USED_FIELD_NUMBER: _ClassVar[int]
    QUEUED_IN_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    BLANKS_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    QUEUED_AT_SITE_FIELD_NUMBER: _ClassVar[int]
    reason: str
    budget: int
    budget_used: int
    queued_in_category: int
    blanks_available: int
    queued_at_site: int
    def __init__(self, reason: _Optional[str] = ..., budget: _Optional[int] = ..., budget_used: _Optional[int] = ..., queued_in_category: _Optional[int] = ..., blanks_available: _Optional[int] = ..., queued_at_site: _Optional[int] = ...) -> None: ...

class LookupRecordResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[RecordSummary]
    def __init__(self, records: _Optional[_Iterable[_Union[RecordSummary, _Mapping]]] = ...) -> None: ...

class ListHeldRequest(_message.Message):
    __slots__ = ("campaign_id", "site_code")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    site_code: str
    def __init__(self, campaign_id: _Optional[str] = ..., site_code: _Optional[str] = ...) -> None: ...

class HeldPerson(_message.Message):
    __slots__ = ("record_id", "nik", "nama", "tanggal_lahir", "site_code", "state", "campaign_id")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    NIK_FIELD_NUMBER: _ClassVar[int]
    NAMA_FIELD_NUMBER: _ClassVar[int]
    TANGGAL_LAHIR_FIELD_NUMBER: _ClassVar[int]
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    nik: str
    nama: str
    tanggal_lahir: str
    site_code: str
    state: _common_pb2.RecordState
    campaign_id: str
    def __init__(self, record_id: _Optional[str] = ..., nik: _Optional[str] = ..., nama: _Optional[str] = ..., tanggal_lahir: _Optional[str] = ..., site_code: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.RecordState, str]] = ..., campaign_id: _Optional[str] = ...) -> None: ...

class HeldDetail(_message.Message):
    __slots__ = ("record_id", "person", "others", "masked")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    OTHERS_FIELD_NUMBER: _ClassVar[int]
    MASKED_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    person: HeldPerson
    others: _containers.RepeatedCompositeFieldContainer[HeldPerson]
    masked: bool
    def __init__(self, record_id: _Optional[str] = ..., person: _Optional[_Union[HeldPerson, _Mapping]] = ..., others: _Optional[_Iterable[_Union[HeldPerson, _Mapping]]] = ..., masked: _Optional[bool] = ...) -> None: ...

class ListHeldResponse(_message.Message):
    __slots__ = ("records", "details")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[RecordSummary]
    details: _containers.RepeatedCompositeFieldContainer[HeldDetail]
    def __init__(self, records: _Optional[_Iterable[_Union[RecordSummary, _Mapping]]] = ..., details: _Optional[_Iterable[_Union[HeldDetail, _Mapping]]] = ...) -> None: ...

class ResolveAttemptRequest(_message.Message):
    __slots__ = ("attempt_id", "resolution", "evidence", "blank_serial")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    BLANK_SERIAL_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    resolution: Resolution
    evidence: str
    blank_serial: str
    def __init__(self, attempt_id: _Optional[str] = ..., resolution: _Optional[_Union[Resolution, str]] = ..., evidence: _Optional[str] = ..., blank_serial: _Optional[str] = ...) -> None: ...

class ResolveAttemptResponse(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: RecordSummary
    def __init__(self, record: _Optional[_Union[RecordSummary, _Mapping]] = ...) -> None: ...

class MoveRecordsRequest(_message.Message):
    __slots__ = ("campaign_id", "from_site", "to_site", "record_ids", "reason")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_SITE_FIELD_NUMBER: _ClassVar[int]
    TO_SITE_FIELD_NUMBER: _ClassVar[int]
    RECORD_IDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    from_site: str
    to_site: str
    record_ids: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, campaign_id: _Optional[str] = ..., from_site: _Optional[str] = ..., to_site: _Optional[str] = ..., record_ids: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class MoveRecordsResponse(_message.Message):
    __slots__ = ("moved",)
    MOVED_FIELD_NUMBER: _ClassVar[int]
    moved: int
    def __init__(self, moved: _Optional[int] = ...) -> None: ...

class ReleaseAgentRequest(_message.Message):
    __slots__ = ("agent_id", "reason")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    reason: str
    def __init__(self, agent_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReleaseAgentResponse(_message.Message):
    __slots__ = ("released",)
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    released: int
    def __init__(self, released: _Optional[int] = ...) -> None: ...

class SerialRange(_message.Message):
    __slots__ = ("serial_from", "serial_to", "count")
    SERIAL_FROM_FIELD_NUMBER: _ClassVar[int]
    SERIAL_TO_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    serial_from: str
    serial_to: str
    count: int
    def __init__(self, serial_from: _Optional[str] = ..., serial_to: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class TransferRequest(_message.Message):
    __slots__ = ("from_site", "to_site", "item", "quantity", "serial_from", "serial_to", "reference")
    FROM_SITE_FIELD_NUMBER: _ClassVar[int]
    TO_SITE_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FROM_FIELD_NUMBER: _ClassVar[int]
    SERIAL_TO_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    from_site: str
    to_site: str
    item: str
    quantity: int
    serial_from: str
    serial_to: str
    reference: str
    def __init__(self, from_site: _Optional[str] = ..., to_site: _Optional[str] = ..., item: _Optional[str] = ..., quantity: _Optional[int] = ..., serial_from: _Optional[str] = ..., serial_to: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class TransferResponse(_message.Message):
    __slots__ = ("transfer_out", "transfer_in")
    TRANSFER_OUT_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_IN_FIELD_NUMBER: _ClassVar[int]
    transfer_out: InventoryMovement
    transfer_in: InventoryMovement
    def __init__(self, transfer_out: _Optional[_Union[InventoryMovement, _Mapping]] = ..., transfer_in: _Optional[_Union[InventoryMovement, _Mapping]] = ...) -> None: ...

class DestroyRequest(_message.Message):
    __slots__ = ("site_code", "serials", "quantity", "place", "witnesses", "method", "destroyed_at_ms", "officers", "witness_signatories")
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    SERIALS_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PLACE_FIELD_NUMBER: _ClassVar[int]
    WITNESSES_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    DESTROYED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    OFFICERS_FIELD_NUMBER: _ClassVar[int]
    WITNESS_SIGNATORIES_FIELD_NUMBER: _ClassVar[int]
    site_code: str
    serials: _containers.RepeatedScalarFieldContainer[str]
    quantity: int
    place: str
    witnesses: _containers.RepeatedScalarFieldContainer[str]
    method: str
    destroyed_at_ms: int
    officers: _containers.RepeatedCompositeFieldContainer[Signatory]
    witness_signatories: _containers.RepeatedCompositeFieldContainer[Signatory]
    def __init__(self, site_code: _Optional[str] = ..., serials: _Optional[_Iterable[str]] = ..., quantity: _Optional[int] = ..., place: _Optional[str] = ..., witnesses: _Optional[_Iterable[str]] = ..., method: _Optional[str] = ..., destroyed_at_ms: _Optional[int] = ..., officers: _Optional[_Iterable[_Union[Signatory, _Mapping]]] = ..., witness_signatories: _Optional[_Iterable[_Union[Signatory, _Mapping]]] = ...) -> None: ...

class Signatory(_message.Message):
    __slots__ = ("name", "nip", "position")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NIP_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    name: str
    nip: str
    position: str
    def __init__(self, name: _Optional[str] = ..., nip: _Optional[str] = ..., position: _Optional[str] = ...) -> None: ...

class DestructionRecord(_message.Message):
    __slots__ = ("number", "site_code", "place", "destroyed_at_ms", "count", "serials", "witnesses", "method", "created_by", "created_ms", "movement_id", "officers", "witness_signatories")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    PLACE_FIELD_NUMBER: _ClassVar[int]
    DESTROYED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SERIALS_FIELD_NUMBER: _ClassVar[int]
    WITNESSES_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICERS_FIELD_NUMBER: _ClassVar[int]
    WITNESS_SIGNATORIES_FIELD_NUMBER: _ClassVar[int]
    number: str
    site_code: str
    place: str
    destroyed_at_ms: int
    count: int
    serials: _containers.RepeatedScalarFieldContainer[str]
    witnesses: _containers.RepeatedScalarFieldContainer[str]
    method: str
    created_by: str
    created_ms: int
    movement_id: str
    officers: _containers.RepeatedCompositeFieldContainer[Signatory]
    witness_signatories: _containers.RepeatedCompositeFieldContainer[Signatory]
    def __init__(self, number: _Optional[str] = ..., site_code: _Optional[str] = ..., place: _Optional[str] = ..., destroyed_at_ms: _Optional[int] = ..., count: _Optional[int] = ..., serials: _Optional[_Iterable[str]] = ..., witnesses: _Optional[_Iterable[str]] = ..., method: _Optional[str] = ..., created_by: _Optional[str] = ..., created_ms: _Optional[int] = ..., movement_id: _Optional[str] = ..., officers: _Optional[_Iterable[_Union[Signatory, _Mapping]]] = ..., witness_signatories: _Optional[_Iterable[_Union[Signatory, _Mapping]]] = ...) -> None: ...

class ListDestructionRecordsRequest(_message.Message):
    __slots__ = ("site_code", "number")
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    site_code: str
    number: str
    def __init__(self, site_code: _Optional[str] = ..., number: _Optional[str] = ...) -> None: ...

class ListDestructionRecordsResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[DestructionRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[DestructionRecord, _Mapping]]] = ...) -> None: ...

class AdjudicateRequest(_message.Message):
    __slots__ = ("record_id", "release", "reason")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    RELEASE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    release: bool
    reason: str
    def __init__(self, record_id: _Optional[str] = ..., release: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class AdjudicateResponse(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: RecordSummary
    def __init__(self, record: _Optional[_Union[RecordSummary, _Mapping]] = ...) -> None: ...

class PlanRequest(_message.Message):
    __slots__ = ("campaign_id", "spoil_allowance")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    SPOIL_ALLOWANCE_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    spoil_allowance: float
    def __init__(self, campaign_id: _Optional[str] = ..., spoil_allowance: _Optional[float] = ...) -> None: ...

class SitePlan(_message.Message):
    __slots__ = ("site_code", "site_name", "demand", "demand_baru", "demand_penggantian", "blanks_need", "blanks_have", "ribbons_need", "ribbons_have", "films_need", "films_have", "cards_per_hour", "working_hours_left", "capacity", "down", "blanks_short", "behind_by")
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    SITE_NAME_FIELD_NUMBER: _ClassVar[int]
    DEMAND_FIELD_NUMBER: _ClassVar[int]
    DEMAND_BARU_FIELD_NUMBER: _ClassVar[int]
    DEMAND_PENGGANTIAN_FIELD_NUMBER: _ClassVar[int]
    BLANKS_NEED_FIELD_NUMBER: _ClassVar[int]
    BLANKS_HAVE_FIELD_NUMBER: _ClassVar[int]
    RIBBONS_NEED_FIELD_NUMBER: _ClassVar[int]
    RIBBONS_HAVE_FIELD_NUMBER: _ClassVar[int]
    FILMS_NEED_FIELD_NUMBER: _ClassVar[int]
    FILMS_HAVE_FIELD_NUMBER: _ClassVar[int]
    CARDS_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    WORKING_HOURS_LEFT_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    DOWN_FIELD_NUMBER: _ClassVar[int]
    BLANKS_SHORT_FIELD_NUMBER: _ClassVar[int]
    BEHIND_BY_FIELD_NUMBER: _ClassVar[int]
    site_code: str
    site_name: str
    demand: int
    demand_baru: int
    demand_penggantian: int
    blanks_need: int
    blanks_have: int
    ribbons_need: int
    ribbons_have: int
    films_need: int
    films_have: int
    cards_per_hour: float
    working_hours_left: float
    capacity: int
    down: bool
    blanks_short: int
    behind_by: int
    def __init__(self, site_code: _Optional[str] = ..., site_name: _Optional[str] = ..., demand: _Optional[int] = ..., demand_baru: _Optional[int] = ..., demand_penggantian: _Optional[int] = ..., blanks_need: _Optional[int] = ..., blanks_have: _Optional[int] = ..., ribbons_need: _Optional[int] = ..., ribbons_have: _Optional[int] = ..., films_need: _Optional[int] = ..., films_have: _Optional[int] = ..., cards_per_hour: _Optional[float] = ..., working_hours_left: _Optional[float] = ..., capacity: _Optional[int] = ..., down: _Optional[bool] = ..., blanks_short: _Optional[int] = ..., behind_by: _Optional[int] = ...) -> None: ...

class PlanMove(_message.Message):
    __slots__ = ("kind", "item", "from_site", "to_site", "quantity", "reason")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    FROM_SITE_FIELD_NUMBER: _ClassVar[int]
    TO_SITE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    kind: str
    item: str
    from_site: str
    to_site: str
    quantity: int
    reason: str
    def __init__(self, kind: _Optional[str] = ..., item: _Optional[str] = ..., from_site: _Optional[str] = ..., to_site: _Optional[str] = ..., quantity: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class CampaignPlan(_message.Message):
    __slots__ = ("campaign_id", "as_of_ms", "deadline_ms", "sites", "moves", "budget_baru_left", "budget_penggantian_left", "warnings")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_MS_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    SITES_FIELD_NUMBER: _ClassVar[int]
    MOVES_FIELD_NUMBER: _ClassVar[int]
    BUDGET_BARU_LEFT_FIELD_NUMBER: _ClassVar[int]
    BUDGET_PENGGANTIAN_LEFT_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    as_of_ms: int
    deadline_ms: int
    sites: _containers.RepeatedCompositeFieldContainer[SitePlan]
    moves: _containers.RepeatedCompositeFieldContainer[PlanMove]
    budget_baru_left: int
    budget_penggantian_left: int
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, campaign_id: _Optional[str] = ..., as_of_ms: _Optional[int] = ..., deadline_ms: _Optional[int] = ..., sites: _Optional[_Iterable[_Union[SitePlan, _Mapping]]] = ..., moves: _Optional[_Iterable[_Union[PlanMove, _Mapping]]] = ..., budget_baru_left: _Optional[int] = ..., budget_penggantian_left: _Optional[int] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class ListAuditRequest(_message.Message):
    __slots__ = ("since_ms", "until_ms", "actor", "action", "site_code", "record_id", "limit", "allowed_only", "refused_only")
    SINCE_MS_FIELD_NUMBER: _ClassVar[int]
    UNTIL_MS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SITE_CODE_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_ONLY_FIELD_NUMBER: _ClassVar[int]
    REFUSED_ONLY_FIELD_NUMBER: _ClassVar[int]
    since_ms: int
    until_ms: int
    actor: str
    action: str
    site_code: str
    record_id: str
    limit: int
    allowed_only: bool
    refused_only: bool
    def __init__(self, since_ms: _Optional[int] = ..., until_ms: _Optional[int] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., site_code: _Optional[str] = ..., record_id: _Optional[str] = ..., limit: _Optional[int] = ..., allowed_only: _Optional[bool] = ..., refused_only: _Optional[bool] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("seq", "at_ms", "actor", "action", "allowed", "detail_json", "hash")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    AT_MS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    DETAIL_JSON_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    seq: int
    at_ms: int
    actor: str
    action: str
    allowed: bool
    detail_json: str
    hash: str
    def __init__(self, seq: _Optional[int] = ..., at_ms: _Optional[int] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., allowed: _Optional[bool] = ..., detail_json: _Optional[str] = ..., hash: _Optional[str] = ...) -> None: ...

class ListAuditResponse(_message.Message):
    __slots__ = ("entries", "truncated")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    truncated: bool
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., truncated: _Optional[bool] = ...) -> None: ...
