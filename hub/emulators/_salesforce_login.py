"""Salesforce logins: the OAuth 2.0 token endpoint (password and client-credentials grants)
and the SOAP partner `login` call simple-salesforce uses for username + password + token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qs

from hub.emulators._server import Request, Response, json_response, text_response

ORG_ID = "00D000000000001AAA"
USER_ID = "005000000000001AAA"
_FAULT_MESSAGE = "Invalid username, password, security token; or user locked out."


@dataclass
class Credentials:
    username: str
    password: str
    security_token: str
    client_id: str
    client_secret: str

    def password_ok(self, username: str | None, password: str | None) -> bool:
        return username == self.username and password == self.password + self.security_token


def _oauth_error(error: str, description: str) -> Response:
    return json_response(400, {"error": error, "error_description": description})


def _client(request: Request, form: dict[str, list[str]]) -> tuple[str | None, str | None]:
    """Client id and secret from the form or an HTTP Basic header (simple-salesforce uses Basic)."""
    header = request.headers.get("Authorization") or ""
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return client_id, secret
        except ValueError:
            return None, None
    return (form.get("client_id") or [None])[0], (form.get("client_secret") or [None])[0]


def oauth_token(request: Request, creds: Credentials, base_url: str, issue: Callable[[], str]) -> Response:
    """`POST /services/oauth2/token`."""
    form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    grant = (form.get("grant_type") or [""])[0]
    client_id, client_secret = _client(request, form)
    if grant == "password":
        if client_id is not None and client_id != creds.client_id:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if client_secret is not None and client_secret != creds.client_secret:
            return _oauth_error("invalid_client", "invalid client credentials")
        if not creds.password_ok((form.get("username") or [None])[0], (form.get("password") or [None])[0]):
            return _oauth_error("invalid_grant", "authentication failure")
    elif grant == "client_credentials":
        if client_id != creds.client_id or client_secret != creds.client_secret:
            return _oauth_error("invalid_client", "invalid client credentials")
    else:
        return _oauth_error("unsupported_grant_type", "grant type not supported")
    issued_at = str(int(time.time() * 1000))
    identity = f"{base_url}/id/{ORG_ID}/{USER_ID}"
    signature = base64.b64encode(hmac.new(creds.client_secret.encode(), (identity + issued_at).encode(),
                                          hashlib.sha256).digest()).decode()
    return json_response(200, {
        "access_token": issue(), "instance_url": base_url, "id": identity, "token_type": "Bearer",
        "issued_at": issued_at, "signature": signature, "scope": "api"})


def _local(element: ET.Element, name: str) -> str | None:
    for node in element.iter():
        if node.tag == name or node.tag.endswith("}" + name):
            return node.text or ""
    return None


def soap_login(request: Request, creds: Credentials, base_url: str, version: str,
               issue: Callable[[], str]) -> Response:
    """`POST /services/Soap/u/{version}` with a partner `login` envelope."""
    try:
        envelope = ET.fromstring(request.body)
        username, password = _local(envelope, "username"), _local(envelope, "password")
    except ET.ParseError:
        username = password = None
    if not creds.password_ok(username, password):
        return text_response(500, _FAULT.format(message=escape(_FAULT_MESSAGE)), "text/xml;charset=UTF-8")
    server = f"{base_url}/services/Soap/u/{version}/{ORG_ID}"
    return text_response(200, _LOGIN_RESPONSE.format(
        metadata=f"{base_url}/services/Soap/m/{version}/{ORG_ID}", server=server, session=escape(issue()),
        user=USER_ID, org=ORG_ID, username=escape(creds.username)), "text/xml;charset=UTF-8")


_LOGIN_RESPONSE = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>{metadata}</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>{server}</serverUrl><sessionId>{session}</sessionId><userId>{user}</userId><userInfo><organizationId>{org}</organizationId><userName>{username}</userName><sessionSecondsValid>7200</sessionSecondsValid></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"""

_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: {message}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"""
