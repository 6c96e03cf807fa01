"""Alur: contact-center call flow (IVR) and call routing (ACD) server."""

__version__ = "0.1.0"
