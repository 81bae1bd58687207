"""The web edge: routes translate between the wire and the live sessions."""
