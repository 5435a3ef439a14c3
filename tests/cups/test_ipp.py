"""The IPP client: RFC 8010 encoding both ways, and the operations against real servers."""

from __future__ import annotations

import struct

import pytest

from cetak.printers.cups import ipp


def _response(*groups: tuple[int, list[tuple[int, str, bytes]]], status: int = 0) -> bytes:
    out = bytearray(struct.pack(">BBHI", 1, 1, status, 7))
    for tag, attrs in groups:
        out.append(tag)
        for vtag, name, raw in attrs:
            out += struct.pack(">BH", vtag, len(name)) + name.encode()
            out += struct.pack(">H", len(raw)) + raw
    out.append(ipp.END)
    return bytes(out)


def test_a_request_is_encoded_as_rfc_8010_says() -> None:
    data = ipp.encode_request(ipp.GET_JOBS, 42, [(ipp.OPERATION, {
        "attributes-charset": ipp.Value(ipp.CHARSET, "utf-8"),
        "which-jobs": ipp.Value(ipp.KEYWORD, "all"),
        "my-jobs": True, "limit": 5,
        "requested-attributes": [ipp.Value(ipp.KEYWORD, "job-id"),
                                 ipp.Value(ipp.KEYWORD, "job-name")]})])
    assert data[:8] == b"\x01\x01\x00\x0a\x00\x00\x00\x2a"
    assert data[8] == ipp.OPERATION and data[-1] == ipp.END
    assert b"\x47\x00\x12attributes-charset\x00\x05utf-8" in data
    assert b"\x22\x00\x07my-jobs\x00\x01\x01" in data
    assert b"\x21\x00\x05limit\x00\x04\x00\x00\x00\x05" in data
    # the second value of a set: name length 0
    assert b"\x44\x00\x14requested-attributes\x00\x06job-id\x44\x00\x00\x00\x08job-name" in data


def test_a_response_decodes_values_sets_collections_and_out_of_band() -> None:
    data = _response(
        (ipp.OPERATION, [(ipp.CHARSET, "attributes-charset", b"utf-8"),
                         (ipp.TEXT, "status-message", b"successful-ok")]),
        (ipp.JOB, [(ipp.INTEGER, "job-id", struct.pack(">i", 12)),
                   (ipp.ENUM, "job-state", struct.pack(">i", 5)),
                   (ipp.KEYWORD, "job-state-reasons", b"job-printing"),
                   (ipp.KEYWORD, "", b"job-incoming"),
                   (ipp.NO_VALUE, "time-at-processing", b""),
                   (ipp.NAME_LANG, "job-name", b"\x00\x02en\x00\x03a-1"),
                   (ipp.BOOLEAN, "ok", b"\x01"),
                   (ipp.RANGE, "copies-supported", struct.pack(">ii", 1, 9)),
                   (ipp.BEG_COLLECTION, "media-col", b""),
                   (ipp.MEMBER_NAME, "", b"media-size"),
                   (ipp.BEG_COLLECTION, "", b""),
                   (ipp.MEMBER_NAME, "", b"x-dimension"),
                   (ipp.INTEGER, "", struct.pack(">i", 8560)),
                   (ipp.END_COLLECTION, "", b""),
                   (ipp.MEMBER_NAME, "", b"media-type"),
                   (ipp.KEYWORD, "", b"cardstock"),
                   (ipp.END_COLLECTION, "", b"")]),
        (ipp.JOB, [(ipp.INTEGER, "job-id", struct.pack(">i", 13))]))
    resp = ipp.decode_response(data)
    assert resp.status == ipp.OK and resp.request_id == 7 and resp.message == "successful-ok"
    job = resp.group(ipp.JOB)
    assert job["job-id"] == 12 and job["job-state"] == 5
    assert job["job-state-reasons"] == ["job-printing", "job-incoming"]
    assert job["time-at-processing"] is None and job["job-name"] == "a-1" and job["ok"] is True
    assert job["copies-supported"] == (1, 9)
    assert job["media-col"] == {"media-size": {"x-dimension": 8560}, "media-type": "cardstock"}
    assert [g["job-id"] for g in resp.all(ipp.JOB)] == [12, 13]
    assert ipp.as_list(job["job-state"]) == [5] and ipp.as_list(None) == []


@pytest.mark.parametrize("cut", [3, 9, 20])
def test_a_truncated_response_is_an_ipp_error(cut: int) -> None:
    data = _response((ipp.JOB, [(ipp.INTEGER, "job-id", struct.pack(">i", 12))]))
    with pytest.raises(ipp.IppError, match="truncated"):
        ipp.decode_response(data[:cut])


def test_a_uri_that_is_not_ipp_is_refused() -> None:
    with pytest.raises(ValueError, match="not an IPP printer URI"):
        ipp.IppClient("socket://127.0.0.1:9100")


def test_an_unreachable_server_is_an_ipp_error() -> None:
    from cetak.procs import free_port

    client = ipp.IppClient(f"ipp://127.0.0.1:{free_port()}/printers/none", timeout=2)
    with pytest.raises(ipp.IppError, match="cannot reach"):
        client.printer_attributes(["printer-state"])


def test_submit_follow_find_and_cancel_on_ippeveprinter(ippeve) -> None:
    client = ipp.IppClient(ippeve.uri, user="cetak")
    attrs = client.printer_attributes(["printer-state", "printer-state-reasons",
                                       "printer-is-accepting-jobs"])
    assert attrs["printer-state"] == ipp.PRINTER_IDLE and attrs["printer-is-accepting-jobs"]
    job_id = client.print_job("attempt-1", b"\x1b@card", "application/vnd.cups-raw")
    job = client.job_attributes(job_id, ["job-name", "job-state"])
    assert job is not None and job["job-name"] == "attempt-1"
    found = client.jobs(["job-id", "job-name"], which="all")
    assert [j["job-id"] for j in found if j["job-name"] == "attempt-1"] == [job_id]
    assert client.job_attributes(job_id + 1000, ["job-state"]) is None
    with pytest.raises(ipp.IppStatusError, match="document-format"):
        client.print_job("attempt-2", b"x", "application/x-not-a-format")


def test_submit_and_cancel_a_job_held_in_a_stopped_cups_queue(cupsd) -> None:
    uri = cupsd.add_queue("held", "file:///dev/null")
    cupsd.disable("held", "test")
    client = ipp.IppClient(uri)
    job_id = client.print_job("attempt-9", b"data", "application/vnd.cups-raw")
    job = client.job_attributes(job_id, ["job-state", "time-at-processing"])
    assert job is not None and job["job-state"] == ipp.JOB_PENDING
    assert client.cancel_job(job_id) is True
    job = client.job_attributes(job_id, ["job-state", "time-at-processing"])
    assert job is not None and job["job-state"] == ipp.JOB_CANCELED
    assert not job.get("time-at-processing")  # never processed
    assert client.cancel_job(job_id) is False  # already finished
