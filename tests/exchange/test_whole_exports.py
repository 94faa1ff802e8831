"""An export is whole or refused: never a cut-off file answered as a complete 200.

The file is built before the answer starts, so a row that fails is an error (500), not
a 200 with half a file; it is sent with its Content-Length, so a file cut off on the
way (a worker killed by its timeout, a dropped connection) is shorter than it says and
the client knows; and more rows than the limit are refused before any is read.
"""

import http.client
import socket
import threading

import pytest

from actions.api.views import ActionViewSet
from actions.sheets import ACTION_COLUMNS
from exchange.tabular import Column

from .. import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def actions(world):
    return [f.ActionFactory(programme=world.programme, title=f"Action {i}", owner=world.lead_a,
                            owner_partner=world.partner_a) for i in range(12)]


def failing_on(row_number):
    """A column whose value fails on the ``row_number``-th row it is asked for."""
    seen = []

    def boom(title):
        seen.append(title)
        if len(seen) == row_number:
            raise RuntimeError("the database went away mid-export")
        return title

    return Column("Boom", "title", fields=("title",), from_values=boom)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_row_that_fails_half_way_is_an_error_not_a_200(api, world, actions, monkeypatch, fmt):
    monkeypatch.setattr(ActionViewSet, "export_columns", [*ACTION_COLUMNS, failing_on(7)])
    client = api.as_user(world.manager)
    client.raise_request_exception = False
    response = client.get("/api/v1/actions/", {"format": fmt})
    assert response.status_code == 500
    assert not response.streaming  # no file, not the first six rows of one
    assert b"Action 0" not in response.content


def test_a_row_that_fails_half_way_on_a_page_download_is_an_error(
        client, world, actions, monkeypatch):
    from web.views import board

    monkeypatch.setattr(board.action_sheets, "ACTION_COLUMNS",
                        [*ACTION_COLUMNS, failing_on(7)])
    client.force_login(world.manager)
    client.raise_request_exception = False
    response = client.get(f"/programmes/{world.programme.pk}/actions/", {"download": "csv"})
    assert response.status_code == 500
    assert b"Action 0" not in (b"".join(response.streaming_content) if response.streaming
                               else response.content)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_file_is_sent_with_its_length(api, world, actions, fmt):
    response = api.as_user(world.manager).get("/api/v1/actions/", {"format": fmt})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body) > 0
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_file_cut_off_on_the_way_is_told_apart_from_a_whole_one(api, world, actions):
    # given the answer of an export, as the server sends it
    response = api.as_user(world.manager).get("/api/v1/actions/", {"format": "csv"})
    body = b"".join(response.streaming_content)
    head = "HTTP/1.1 200 OK\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in response.items()) + "\r\n"

    def serve(cut_at):
        """A server that sends the headers and the first ``cut_at`` bytes of the body,
        then dies (as a worker killed by gunicorn's timeout does)."""
        listener = socket.create_server(("127.0.0.1", 0))

        def run():
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(head.encode("latin-1") + body[:cut_at])
            listener.close()

        threading.Thread(target=run, daemon=True).start()
        return listener.getsockname()[1]

    def fetch(port):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/api/v1/actions/?format=csv")
            answer = connection.getresponse()
            return answer.status, answer.read()
        finally:
            connection.close()

    # when it arrives whole, the client has the file
    assert fetch(serve(len(body))) == (200, body)
    # when it is cut off anywhere after the headers, even between two rows, the client
    # does not take it for the file: the status was 200, but the body is short
    between_rows = body.index(b"\r\n", len(body) // 2) + 2
    for cut_at in (0, between_rows, len(body) - 1):
        with pytest.raises(http.client.IncompleteRead):
            fetch(serve(cut_at))


@pytest.mark.parametrize("fmt,limit_setting", [("csv", "EXPORT_CSV_MAX_ROWS"),
                                              ("xlsx", "EXPORT_XLSX_MAX_ROWS")])
def test_an_export_over_the_limit_is_refused_before_any_row(
        api, world, actions, settings, fmt, limit_setting):
    setattr(settings, limit_setting, len(actions) - 1)
    client = api.as_user(world.manager)
    response = client.get("/api/v1/actions/", {"format": fmt})
    assert response.status_code == 400
    assert f"{len(actions) - 1} rows" in response.json()["format"][0]
    # a filtered list within the limit is exported
    assert client.get("/api/v1/actions/", {"format": fmt, "search": "Action 1"}).status_code == 200
