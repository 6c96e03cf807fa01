"""The browser's side of a call: WebRTC (ICE, DTLS-SRTP, opus or G.711) bridged to Alur's G.711 RTP."""
