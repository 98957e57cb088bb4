#!/usr/bin/python3
"""A real SMTP server for tests, on loopback: stores every accepted message
as a file in --maildir and writes its port to --port-file once listening.

Behaviour is steered per recipient so tests need no side channel:
  tempfail-N-<anything>@...  answer 451 to the first N attempts of a message
                             (keyed by Message-ID), then accept it;
  permfail-<anything>@...    answer 550 always.
Fault tests steer one more thing through --hold-dir DIR: while the file
DIR/hold exists, a message is stored and then its 250 is held back; the sink
writes the message's Message-ID to DIR/held (atomically) while it holds, and
removes DIR/held when it answers. The wait polls: it is the server's own,
never the test's synchronisation.
Runs until SIGTERM/SIGINT.
"""
import argparse
import asyncio
import os
import re
import signal
import socket
import uuid

from aiosmtpd.controller import Controller

TEMPFAIL = re.compile(r"^tempfail-(\d+)-")


class Sink:
    def __init__(self, maildir, hold_dir=None):
        self.maildir = maildir
        self.hold_dir = hold_dir
        self.attempts = {}

    async def hold_reply(self, msgid):
        """Hold the 250 while DIR/hold exists (the message is already stored)."""
        if not self.hold_dir:
            return
        hold = os.path.join(self.hold_dir, "hold")
        held = os.path.join(self.hold_dir, "held")
        if not os.path.exists(hold):
            return
        with open(held + ".tmp", "wb") as f:
            f.write(msgid)
        os.rename(held + ".tmp", held)
        while os.path.exists(hold):
            await asyncio.sleep(0.02)
        os.remove(held)

    async def handle_DATA(self, server, session, envelope):
        content = envelope.content
        msgid = b""
        for line in content.split(b"\r\n"):
            if not line:
                break
            if line.lower().startswith(b"message-id:"):
                msgid = line.split(b":", 1)[1].strip()
        for rcpt in envelope.rcpt_tos:
            local = rcpt.split("@", 1)[0]
            if local.startswith("permfail-"):
                return "550 5.1.1 mailbox unavailable (test sink)"
            m = TEMPFAIL.match(local)
            if m:
                key = (rcpt, msgid)
                self.attempts[key] = self.attempts.get(key, 0) + 1
                if self.attempts[key] <= int(m.group(1)):
                    return "451 4.3.0 try again later (test sink)"
        name = uuid.uuid4().hex
        tmp = os.path.join(self.maildir, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(b"X-Sink-Mail-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Sink-Rcpt-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(content)
        # Rename so a reader never sees half a message.
        os.rename(tmp, os.path.join(self.maildir, name + ".eml"))
        await self.hold_reply(msgid)
        return "250 OK"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--hold-dir", help="hold the 250 after storing while HOLD_DIR/hold exists")
    args = ap.parse_args()
    os.makedirs(args.maildir, exist_ok=True)
    port = args.port
    if port == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    controller = Controller(Sink(args.maildir, args.hold_dir), hostname="127.0.0.1", port=port)
    controller.start()
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
    loop = asyncio.new_event_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    loop.run_until_complete(stop)
    controller.stop()


if __name__ == "__main__":
    main()
