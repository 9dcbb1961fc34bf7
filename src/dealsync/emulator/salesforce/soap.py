"""The SOAP ``login`` call (partner API), which simple-salesforce and dealsync use for username + password +
security token without a connected app.

Shapes follow simple-salesforce's own test fixtures of real responses (``LOGIN_RESPONSE_SUCCESS`` and the
``INVALID_LOGIN`` fault) and https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_login.htm.
A SOAP fault is answered with HTTP 500, as SOAP 1.1 requires.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, unescape

from werkzeug.wrappers import Request, Response

from dealsync.emulator.backend import TokenBook
from dealsync.emulator.state import SalesforceOrg

SOAP_PATH = re.compile(r"^/services/Soap/u/(\d+\.\d)$")
_FIELD = re.compile(r"<(?:\w+:)?(username|password)>(.*?)</(?:\w+:)?\1>", re.DOTALL)

_SUCCESS = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>\
<metadataServerUrl>{instance}/services/Soap/m/{version}/{org}</metadataServerUrl>\
<passwordExpired>false</passwordExpired><sandbox>false</sandbox>\
<serverUrl>{instance}/services/Soap/u/{version}/{org}</serverUrl><sessionId>{session}</sessionId>\
<userId>005000000000001AAA</userId><userInfo><organizationId>{org}</organizationId>\
<sessionSecondsValid>7200</sessionSecondsValid><userName>{user}</userName></userInfo>\
</result></loginResponse></soapenv:Body></soapenv:Envelope>"""

_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<soapenv:Body><soapenv:Fault><faultcode>INVALID_LOGIN</faultcode>\
<faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring>\
<detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>\
<sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage>\
</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"""


def soap_login(request: Request, tokens: TokenBook, org: SalesforceOrg, instance_url: str, version: str) -> Response:
    fields = {m.group(1): unescape(m.group(2)) for m in _FIELD.finditer(request.get_data(as_text=True))}
    creds = tokens.credentials
    if fields.get("username") != creds.username or fields.get("password") != creds.password + creds.security_token:
        return Response(_FAULT, status=500, mimetype="text/xml")
    body = _SUCCESS.format(
        instance=instance_url,
        version=version,
        org=org.org_id,
        session=tokens.issue("salesforce"),
        user=escape(creds.username),
    )
    return Response(body, status=200, mimetype="text/xml")
