"""SDP offer/answer for G.711 audio (RFC 3264), with no I/O.

The answer picks the first of PCMU/PCMA in the offer's order and keeps the offer's payload type for
telephone-event (RFC 4733): a phone that offers 96 for DTMF gets 96 back, not a hard-coded 101.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from aiosipua.sdp import parse_sdp

from alur.core.errors import AlurError

G711 = {"PCMU": 0, "PCMA": 8}


class SdpError(AlurError):
    code = "sdp_error"


@dataclass(frozen=True, slots=True)
class MediaParams:
    """What both ends agreed: where to send RTP, which codec, which payload type carries DTMF."""

    remote_host: str
    remote_port: int
    codec: str  # "PCMU" | "PCMA"
    payload_type: int
    dtmf_payload_type: int | None
    direction: str = "sendrecv"


def _codecs(body: str) -> tuple[str, int, list[tuple[int, str]], str]:
    try:
        sdp = parse_sdp(body)
    except (ValueError, IndexError) as exc:
        raise SdpError(f"unparseable SDP: {exc}") from None
    audio = sdp.audio
    addr = sdp.rtp_address
    if audio is None or addr is None:
        raise SdpError("SDP has no audio stream with a connection address")
    found = [(c.payload_type, (c.encoding_name or "").upper()) for c in audio.codecs]
    return addr[0], addr[1], found, audio.direction


def answer_params(offer: str) -> MediaParams:
    """Choose media from an offer; SdpError (-> 488) when no G.711 codec is offered."""
    host, port, codecs, direction = _codecs(offer)
    chosen = next(((pt, name) for pt, name in codecs if name in G711), None)
    if chosen is None:
        names = [name or str(pt) for pt, name in codecs]
        raise SdpError(f"no common codec: offer has {names}, Alur speaks PCMU and PCMA", value=names)
    dtmf = next((pt for pt, name in codecs if name == "TELEPHONE-EVENT"), None)
    return MediaParams(host, port, chosen[1], chosen[0], dtmf, direction)


def answer_from_offer_reply(answer: str) -> MediaParams:
    """Read the peer's answer to our offer (its first codec is the one in use)."""
    return answer_params(answer)


def build_sdp(
    local_host: str,
    local_port: int,
    codecs: list[tuple[int, str]],
    dtmf_pt: int | None,
    direction: str = "sendrecv",
) -> str:
    sid = str(secrets.randbelow(2**31))
    fmts = [str(pt) for pt, _ in codecs] + ([str(dtmf_pt)] if dtmf_pt is not None else [])
    lines = [
        "v=0",
        f"o=alur {sid} {sid} IN IP4 {local_host}",
        "s=alur",
        f"c=IN IP4 {local_host}",
        "t=0 0",
        f"m=audio {local_port} RTP/AVP {' '.join(fmts)}",
    ]
    for pt, name in codecs:
        lines.append(f"a=rtpmap:{pt} {name}/8000")
    if dtmf_pt is not None:
        lines.append(f"a=rtpmap:{dtmf_pt} telephone-event/8000")
        lines.append(f"a=fmtp:{dtmf_pt} 0-16")
    lines.append("a=ptime:20")
    lines.append(f"a={direction}")
    return "\r\n".join(lines) + "\r\n"


ANSWER_DIRECTION = {"sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}


def build_answer(local_host: str, local_port: int, params: MediaParams) -> str:
    direction = ANSWER_DIRECTION.get(params.direction, "sendrecv")
    return build_sdp(
        local_host, local_port, [(params.payload_type, params.codec)], params.dtmf_payload_type, direction
    )


def build_offer(local_host: str, local_port: int) -> str:
    return build_sdp(local_host, local_port, [(0, "PCMU"), (8, "PCMA")], 101)
