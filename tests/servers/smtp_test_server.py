#!/usr/bin/python3
"""Three SMTP servers on free loopback ports (aiosmtpd, Debian's python3-aiosmtpd) for the mail tests.

Usage: smtp_test_server.py DIR   (DIR: an empty temporary directory for the certificate, DIR/cert.pem)
  plain     no TLS, no login: a LAN relay as the old [smtp] settings expect
  starttls  port-587 style: STARTTLS is required before anything else, then AUTH before MAIL
  tls       port-465 style: TLS from the first byte (implicit), then AUTH before MAIL
The only account is mailer@example.org with the password "right password". RCPT to any nobody@... address is
refused with 550. Prints "plain PORT", "starttls PORT", "tls PORT" and "ready", then one JSON line per event:
{"auth": LOGIN, "ok": BOOL} for each login attempt, {"server", "mail_from", "rcpt_tos", "data", "login", "tls"}
for each accepted message.
"""
import asyncio
import json
import logging
import os
import ssl
import sys
import warnings

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cert import make_certificate  # noqa: E402

warnings.filterwarnings("ignore")  # aiosmtpd warns about AUTH on the implicit-TLS server, which is TLS anyway
logging.getLogger("mail.log").setLevel(logging.CRITICAL)

from aiosmtpd.smtp import SMTP, AuthResult  # noqa: E402

ACCOUNTS = {b"mailer@example.org": b"right password"}


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = ACCOUNTS.get(auth_data.login) == auth_data.password
    print(json.dumps({"auth": auth_data.login.decode("utf-8", "replace"), "ok": ok}), flush=True)
    # handled=False: aiosmtpd answers a failure with its own 535 (handled=True would leave the client waiting).
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


class Handler:
    def __init__(self, name):
        self.name = name

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        print(json.dumps({"server": self.name, "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                          "data": envelope.content.decode("utf-8", "replace"), "login": login,
                          "tls": session.ssl is not None or self.name == "tls"}), flush=True)
        return "250 2.0.0 queued"


async def main():
    cert, key = make_certificate(sys.argv[1])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    loop = asyncio.get_running_loop()
    setups = {
        "plain": (dict(), None),
        "starttls": (dict(tls_context=context, require_starttls=True, auth_required=True, auth_require_tls=True,
                          authenticator=authenticate), None),
        "tls": (dict(auth_required=True, auth_require_tls=False, authenticator=authenticate), context),
    }
    servers = []
    for name, (options, implicit_tls) in setups.items():
        factory = (lambda n=name, o=options: SMTP(Handler(n), hostname="test.example.org", loop=loop, **o))
        server = await loop.create_server(factory, "127.0.0.1", 0, ssl=implicit_tls)
        servers.append(server)
        print(f"{name} {server.sockets[0].getsockname()[1]}", flush=True)
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
