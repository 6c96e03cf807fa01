"""Host names in SIP headers are looked up off the event loop and cached."""

from __future__ import annotations

from alur.telephony.sip.names import HostNames, is_address


async def test_an_address_is_itself_and_a_name_is_looked_up_once() -> None:
    names = HostNames()
    assert names.address("127.0.0.1") == "127.0.0.1"
    assert names.address("[::1]") == "::1"
    assert names.address("localhost") is None  # not known yet: the lookup has started
    assert await names.resolve("localhost") == "127.0.0.1"
    assert names.address("localhost") == "127.0.0.1"  # from the cache now
    await names.close()


async def test_a_name_with_no_address_answers_none() -> None:
    names = HostNames()
    assert await names.resolve("no-such-host.invalid") is None
    assert names.address("no-such-host.invalid") is None  # remembered as unresolvable for a while
    await names.close()


def test_is_address() -> None:
    assert is_address("10.0.0.1") and is_address("::1") and not is_address("pbx.example.net")
