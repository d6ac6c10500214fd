"""A throwaway TLS certificate for the test servers, made with the openssl command line tool.

The certificate is self-signed (it is its own CA: a client trusts it by loading cert.pem as its CA file) and names
only "localhost", so a client that connects to 127.0.0.1 must fail host name verification.
"""
import os
import subprocess


def make_certificate(directory):
    """Writes cert.pem and key.pem into `directory`; returns their paths."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return cert, key
