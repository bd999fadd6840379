"""A webhook cannot be aimed at the store's own network through a host name: the name is
resolved and every address checked when the webhook is saved and again at each delivery,
and the delivery connects to the address that was checked (a DNS rebind in between changes
nothing), with the Host header and the TLS certificate check still on the name."""

import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.orders.factories import order_placed
from tests.webhooks.conftest import Receiver, serve
from webhooks import services, transport
from webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"


@pytest.mark.parametrize(
    "address",
    ["10.0.0.5", "127.0.0.1", "169.254.169.254", "100.64.0.1", "::1", "::ffff:127.0.0.1"],
)
def test_a_name_that_resolves_inside_the_store_is_refused_at_save(
    dns: dict[str, Any], address: str
) -> None:
    dns["internal.example"] = [address]
    with pytest.raises(services.ServiceError) as error:
        services.webhook_create(target_url="https://internal.example/h", events=["order.paid"])
    assert error.value.field == "target_url"
    assert f"internal.example resolves to {address}" in error.value.message
    assert not Webhook.objects.exists()


def test_one_internal_address_among_public_ones_is_enough_to_refuse(
    dns: dict[str, Any],
) -> None:
    dns["mixed.example"] = [PUBLIC, "10.0.0.5"]
    with pytest.raises(services.ServiceError, match="resolves to 10.0.0.5"):
        services.webhook_create(target_url="https://mixed.example/h", events=["order.paid"])


def test_the_api_and_the_admin_say_why_with_a_400_and_a_form_error(
    dns: dict[str, Any], staff_client: APIClient
) -> None:
    dns["internal.example"] = ["10.0.0.5"]
    response = staff_client.post(
        "/api/v1/staff/webhooks/",
        {"target_url": "https://internal.example/h", "events": ["order.paid"]},
        format="json",
    )
    assert response.status_code == 400
    (message,) = response.json()["target_url"]
    assert message.startswith("internal.example resolves to 10.0.0.5, an address on the store")

    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = admin.post(
        "/admin/webhooks/webhook/add/",
        {"target_url": "https://internal.example/h", "events": ["order.paid"], "is_active": "on"},
    )
    assert page.status_code == 200
    assert "internal.example resolves to 10.0.0.5" in page.content.decode()
    assert not Webhook.objects.exists()


def test_a_dns_failure_at_save_does_not_block_saving(dns: dict[str, Any]) -> None:
    dns["erp.example.com"] = socket.gaierror(socket.EAI_AGAIN, "Temporary failure")
    webhook = services.webhook_create(target_url="https://erp.example.com/h", events=["order.paid"])
    assert webhook.target_url == "https://erp.example.com/h"


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        (PUBLIC, False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
        ("::ffff:127.0.0.1", True),  # IPv4-mapped loopback
        ("::ffff:10.0.0.5", True),
        ("::ffff:169.254.169.254", True),
        ("2002:7f00:1::1", True),  # 6to4 of 127.0.0.1
        ("fe80::1%eth0", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
    ],
)
def test_which_addresses_are_refused(address: str, refused: bool) -> None:
    assert transport.address_refused(address) is refused


def test_ipv4_mapped_loopback_is_refused_at_send(
    dns: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    dns["hooks.example.com"] = [PUBLIC]
    services.webhook_create(target_url="https://hooks.example.com/h", events=["order.created"])
    dns["hooks.example.com"] = ["::ffff:127.0.0.1"]
    with (
        mock.patch.object(transport.connection, "create_connection") as connect,
        django_capture_on_commit_callbacks(execute=True),
    ):
        order_placed()
    connect.assert_not_called()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "resolves to ::ffff:127.0.0.1" in delivery.last_error


def test_a_name_that_now_resolves_inside_is_refused_at_send_without_retries(
    dns: dict[str, Any], receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    dns["hooks.example.com"] = [PUBLIC]  # public when the merchant saved it
    services.webhook_create(target_url="https://hooks.example.com/h", events=["order.created"])
    dns["hooks.example.com"] = ["10.0.0.5"]  # then the DNS points it inside
    with (
        mock.patch.object(transport.connection, "create_connection") as connect,
        django_capture_on_commit_callbacks(execute=True),
    ):
        order_placed()
    connect.assert_not_called()  # not even a connection attempt
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.next_attempt_at is None and delivery.attempts == 1
    assert delivery.last_error.startswith(
        "URL refused: hooks.example.com resolves to 10.0.0.5, an address on the store"
    )


def test_a_name_that_does_not_resolve_at_send_is_tried_again(
    dns: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    services.webhook_create(target_url="https://gone.example.com/h", events=["order.created"])
    with django_capture_on_commit_callbacks(execute=True):
        order_placed()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.next_attempt_at is not None
    assert delivery.last_error == "the host name does not resolve"


# --- the connection goes to the vetted address, TLS on the name --------------------------------


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test CA (ca.pem) and a server certificate for hooks.example.com (server.pem, key)."""
    d = tmp_path_factory.mktemp("tls")
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test CA",
        "-keyout", d / "ca.key", "-out", d / "ca.pem",
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=hooks.example.com",
        "-keyout", d / "server.key", "-out", d / "server.csr",
    )  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=DNS:hooks.example.com\n")
    _openssl(
        "x509", "-req", "-in", d / "server.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", d / "san.ext", "-out", d / "server.pem",
    )  # fmt: skip
    return d


@pytest.fixture
def tls_receiver(certificates: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """An https receiver on 127.0.0.1 holding hooks.example.com's certificate, trusted
    through the test CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
    state = Receiver(url="")
    server = serve(state, context)
    state.url = f"https://hooks.example.com:{server.server_address[1]}/hooks/mlstore"
    made = transport.pinned_session

    def trusting_the_test_ca(addresses: list[str]) -> Any:
        session = made(addresses)
        session.verify = str(certificates / "ca.pem")
        return session

    monkeypatch.setattr(transport, "pinned_session", trusting_the_test_ca)
    yield state
    server.shutdown()
    server.server_close()


def _connections_to(port: int) -> tuple[list[tuple[str, int]], Any]:
    """A stand-in for the socket connect that records where it was asked to connect and
    connects to the local receiver on ``port`` instead (the public address is not ours)."""
    asked: list[tuple[str, int]] = []
    real = socket.create_connection

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        asked.append(address)
        return real(("127.0.0.1", port), *args[:1])

    return asked, create_connection


def test_delivery_connects_to_the_vetted_address_with_tls_on_the_name(
    dns: dict[str, Any], tls_receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    lookups: list[str] = []

    def rebinding() -> list[str]:
        # public when checked, the store's own machine on any later lookup
        lookups.append("hooks.example.com")
        return [PUBLIC] if len(lookups) <= 2 else ["127.0.0.1"]

    dns["hooks.example.com"] = rebinding
    services.webhook_create(target_url=tls_receiver.url, events=["order.created"])  # lookup 1
    port = int(tls_receiver.url.split(":")[2].split("/")[0])
    asked, create_connection = _connections_to(port)
    with (
        mock.patch.object(transport.connection, "create_connection", create_connection),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order_placed()  # lookup 2 vets the address; no lookup 3 can redirect the connect
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED, delivery.last_error
    assert asked == [(PUBLIC, port)]
    assert len(lookups) == 2
    (sent,) = tls_receiver.requests
    assert sent.headers["Host"] == f"hooks.example.com:{port}"


def test_the_certificate_is_checked_against_the_name_not_the_address(
    dns: dict[str, Any], tls_receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    port = int(tls_receiver.url.split(":")[2].split("/")[0])
    dns["other.example.com"] = [PUBLIC]  # same server, but its certificate is not for this
    services.webhook_create(
        target_url=f"https://other.example.com:{port}/h", events=["order.created"]
    )
    _asked, create_connection = _connections_to(port)
    with (
        mock.patch.object(transport.connection, "create_connection", create_connection),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order_placed()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_error.startswith("TLS failed: the certificate is not valid")
    assert tls_receiver.requests == []


def test_the_debug_receiver_on_localhost_still_works_through_the_pinned_address(
    dns: dict[str, Any], receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    port = int(receiver.url.split(":")[2].split("/")[0])
    dns["localhost"] = ["127.0.0.1"]
    services.webhook_create(
        target_url=f"http://localhost:{port}/hooks/mlstore", events=["order.created"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        order_placed()
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED
    assert receiver.requests[0].headers["Host"] == f"localhost:{port}"


def test_localhost_resolving_off_the_machine_is_refused_even_in_debug(
    dns: dict[str, Any],
) -> None:
    dns["localhost"] = ["10.0.0.5"]
    with pytest.raises(services.ServiceError, match="localhost resolves to 10.0.0.5"):
        services.webhook_create(target_url="http://localhost:8000/h", events=["order.paid"])
