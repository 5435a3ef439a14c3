from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Category(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CATEGORY_UNSPECIFIED: _ClassVar[Category]
    BARU: _ClassVar[Category]
    PENGGANTIAN: _ClassVar[Category]

class AttemptState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTEMPT_STATE_UNSPECIFIED: _ClassVar[AttemptState]
    LEASED: _ClassVar[AttemptState]
    PRINTING: _ClassVar[AttemptState]
    PRINTED: _ClassVar[AttemptState]
    SPOILED: _ClassVar[AttemptState]
    FAILED_BEFORE_CARD: _ClassVar[AttemptState]
    UNKNOWN: _ClassVar[AttemptState]

class RecordState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECORD_STATE_UNSPECIFIED: _ClassVar[RecordState]
    QUEUED: _ClassVar[RecordState]
    RECORD_LEASED: _ClassVar[RecordState]
    RECORD_PRINTED: _ClassVar[RecordState]
    HELD: _ClassVar[RecordState]
    REJECTED: _ClassVar[RecordState]
    CANCELLED: _ClassVar[RecordState]

class PrinterState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRINTER_STATE_UNSPECIFIED: _ClassVar[PrinterState]
    READY: _ClassVar[PrinterState]
    BUSY: _ClassVar[PrinterState]
    PAUSED: _ClassVar[PrinterState]
    ERROR: _ClassVar[PrinterState]
    OFFLINE: _ClassVar[PrinterState]
CATEGORY_UNSPECIFIED: Category
BARU: Category
PENGGANTIAN: Category
ATTEMPT_STATE_UNSPECIFIED: AttemptState
LEASED: AttemptState
PRINTING: AttemptState
PRINTED: AttemptState
SPOILED: AttemptState
FAILED_BEFORE_CARD: AttemptState
UNKNOWN: AttemptState
RECORD_STATE_UNSPECIFIED: RecordState
QUEUED: RecordState
RECORD_LEASED: RecordState
RECORD_PRINTED: RecordState
HELD: RecordState
REJECTED: RecordState
CANCELLED: RecordState
PRINTER_STATE_UNSPECIFIED: PrinterState
READY: PrinterState
BUSY: PrinterState
PAUSED: PrinterState
ERROR: PrinterState
OFFLINE: PrinterState

class CardRecord(_message.Message):
    __slots__ = ("record_id", "nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "golongan_darah", "alamat", "rt", "rw", "kelurahan_kode", "kelurahan", "kecamatan", "kabupaten_kota", "provinsi", "agama", "status_perkawinan", "pekerjaan", "kewarganegaraan", "kategori", "alasan", "foto", "tanda_tangan", "issue_city", "issue_date", "foto_sha256", "tanda_tangan_sha256")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    NIK_FIELD_NUMBER: _ClassVar[int]
    NAMA_FIELD_NUMBER: _ClassVar[int]
    TEMPAT_LAHIR_FIELD_NUMBER: _ClassVar[int]
    TANGGAL_LAHIR_FIELD_NUMBER: _ClassVar[int]
    JENIS_KELAMIN_FIELD_NUMBER: _ClassVar[int]
    GOLONGAN_DARAH_FIELD_NUMBER: _ClassVar[int]
    ALAMAT_FIELD_NUMBER: _ClassVar[int]
    RT_FIELD_NUMBER: _ClassVar[int]
    RW_FIELD_NUMBER: _ClassVar[int]
    KELURAHAN_KODE_FIELD_NUMBER: _ClassVar[int]
    KELURAHAN_FIELD_NUMBER: _ClassVar[int]
    KECAMATAN_FIELD_NUMBER: _ClassVar[int]
    KABUPATEN_KOTA_FIELD_NUMBER: _ClassVar[int]
    PROVINSI_FIELD_NUMBER: _ClassVar[int]
    AGAMA_FIELD_NUMBER: _ClassVar[int]
    STATUS_PERKAWINAN_FIELD_NUMBER: _ClassVar[int]
    PEKERJAAN_FIELD_NUMBER: _ClassVar[int]
    KEWARGANEGARAAN_FIELD_NUMBER: _ClassVar[int]
    KATEGORI_FIELD_NUMBER: _ClassVar[int]
    ALASAN_FIELD_NUMBER: _ClassVar[int]
    FOTO_FIELD_NUMBER: _ClassVar[int]
    TANDA_TANGAN_FIELD_NUMBER: _ClassVar[int]
    ISSUE_CITY_FIELD_NUMBER: _ClassVar[int]
    ISSUE_DATE_FIELD_NUMBER: _ClassVar[int]
    FOTO_SHA256_FIELD_NUMBER: _ClassVar[int]
    TANDA_TANGAN_SHA256_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    nik: str
    nama: str
    tempat_lahir: str
    tanggal_lahir: str
    jenis_kelamin: str
    golongan_darah: str
    alamat: str
    rt: str
    rw: str
    kelurahan_kode: str
    kelurahan: str
    kecamatan: str
    kabupaten_kota: str
    provinsi: str
    agama: str
    status_perkawinan: str
    pekerjaan: str
    kewarganegaraan: str
    kategori: Category
    alasan: str
    foto: bytes
    tanda_tangan: bytes
    issue_city: str
    issue_date: str
    foto_sha256: str
    tanda_tangan_sha256: str
    def __init__(self, record_id: _Optional[str] = ..., nik: _Optional[str] = ..., nama: _Optional[str] = ..., tempat_lahir: _Optional[str] = ..., tanggal_lahir: _Optional[str] = ..., jenis_kelamin: _Optional[str] = ..., golongan_darah: _Optional[str] = ..., alamat: _Optional[str] = ..., rt: _Optional[str] = ..., rw: _Optional[str] = ..., kelurahan_kode: _Optional[str] = ..., kelurahan: _Optional[str] = ..., kecamatan: _Optional[str] = ..., kabupaten_kota: _Optional[str] = ..., provinsi: _Optional[str] = ..., agama: _Optional[str] = ..., status_perkawinan: _Optional[str] = ..., pekerjaan: _Optional[str] = ..., kewarganegaraan: _Optional[str] = ..., kategori: _Optional[_Union[Category, str]] = ..., alasan: _Optional[str] = ..., foto: _Optional[bytes] = ..., tanda_tangan: _Optional[bytes] = ..., issue_city: _Optional[str] = ..., issue_date: _Optional[str] = ..., foto_sha256: _Optional[str] = ..., tanda_tangan_sha256: _Optional[str] = ...) -> None: ...

class Consumables(_message.Message):
    __slots__ = ("blanks_in_hopper", "ribbon_panels_left", "ribbon_panels_capacity", "film_frames_left", "film_frames_capacity")
    BLANKS_IN_HOPPER_FIELD_NUMBER: _ClassVar[int]
    RIBBON_PANELS_LEFT_FIELD_NUMBER: _ClassVar[int]
    RIBBON_PANELS_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    FILM_FRAMES_LEFT_FIELD_NUMBER: _ClassVar[int]
    FILM_FRAMES_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    blanks_in_hopper: int
    ribbon_panels_left: int
    ribbon_panels_capacity: int
    film_frames_left: int
    film_frames_capacity: int
    def __init__(self, blanks_in_hopper: _Optional[int] = ..., ribbon_panels_left: _Optional[int] = ..., ribbon_panels_capacity: _Optional[int] = ..., film_frames_left: _Optional[int] = ..., film_frames_capacity: _Optional[int] = ...) -> None: ...

class PrinterInfo(_message.Message):
    __slots__ = ("printer_id", "dialect", "model", "serial", "cards_per_hour", "duplex", "retransfer", "contactless", "consumables", "transport")
    PRINTER_ID_FIELD_NUMBER: _ClassVar[int]
    DIALECT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    CARDS_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    DUPLEX_FIELD_NUMBER: _ClassVar[int]
    RETRANSFER_FIELD_NUMBER: _ClassVar[int]
    CONTACTLESS_FIELD_NUMBER: _ClassVar[int]
    CONSUMABLES_FIELD_NUMBER: _ClassVar[int]
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    printer_id: str
    dialect: str
    model: str
    serial: str
    cards_per_hour: float
    duplex: bool
    retransfer: bool
    contactless: bool
    consumables: Consumables
    transport: str
    def __init__(self, printer_id: _Optional[str] = ..., dialect: _Optional[str] = ..., model: _Optional[str] = ..., serial: _Optional[str] = ..., cards_per_hour: _Optional[float] = ..., duplex: _Optional[bool] = ..., retransfer: _Optional[bool] = ..., contactless: _Optional[bool] = ..., consumables: _Optional[_Union[Consumables, _Mapping]] = ..., transport: _Optional[str] = ...) -> None: ...

class PrinterStatus(_message.Message):
    __slots__ = ("printer_id", "state", "error", "consumables", "cards_printed_counter", "observed_at_ms")
    PRINTER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CONSUMABLES_FIELD_NUMBER: _ClassVar[int]
    CARDS_PRINTED_COUNTER_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    printer_id: str
    state: PrinterState
    error: str
    consumables: Consumables
    cards_printed_counter: int
    observed_at_ms: int
    def __init__(self, printer_id: _Optional[str] = ..., state: _Optional[_Union[PrinterState, str]] = ..., error: _Optional[str] = ..., consumables: _Optional[_Union[Consumables, _Mapping]] = ..., cards_printed_counter: _Optional[int] = ..., observed_at_ms: _Optional[int] = ...) -> None: ...
