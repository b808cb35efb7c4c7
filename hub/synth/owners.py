"""The beta team as the CRMs list them: HubSpot owners (``GET /crm/v3/owners``) and Salesforce
``User`` records, carrying the ids companies, deals and accounts already point at
(``vocabulary.OWNERS``; ``salesforce.USER_IDS``).

Like a real team, not all of it is tidy: one rep has left (archived in HubSpot, inactive in
Salesforce, still the owner of old records), one Salesforce user has no email, and HubSpot lists a
shared inbox with no first or last name that owns nothing.
"""

from __future__ import annotations

import numpy as np

from hub.synth import vocabulary as vocab
from hub.synth import wire
from hub.synth.salesforce import API_VERSION, USER_IDS
from hub.synth.world import DAY

LEFT = 4  # "Chris Nakamura": archived in HubSpot, inactive in Salesforce
NO_SALESFORCE_EMAIL = 2  # "Sam Okafor"'s Salesforce user has no email
SHARED_INBOX = {"id": "71203499", "email": "beta-team@credlink.example", "firstName": None, "lastName": None}


def owner_email(name: str) -> str:
    return name.lower().replace(" ", ".") + "@credlink.example"


def hubspot_owners(now: int) -> list[dict]:
    """Owners in the wire form of ``GET /crm/v3/owners`` results (archived ones included, as
    ``archived=true`` lists them)."""
    created = wire.iso_ms(np.array([now - 400 * DAY] * (len(vocab.OWNERS) + 1)))
    updated = wire.iso_ms(np.array([now - 20 * DAY] * (len(vocab.OWNERS) + 1)))
    people = [{"id": owner_id, "email": owner_email(name), "firstName": name.split()[0],
               "lastName": name.split()[-1]} for name, owner_id in vocab.OWNERS]
    out = []
    for i, person in enumerate([*people, SHARED_INBOX]):
        out.append({**person, "type": "PERSON", "userId": 9100001 + i, "userIdIncludingInactive": 9100001 + i,
                    "createdAt": created[i], "updatedAt": updated[i], "archived": i == LEFT})
    return out


def salesforce_users(now: int) -> list[dict]:
    """``User`` records as a SOQL query returns them."""
    created = wire.sf_datetime(np.array([now - 500 * DAY] * len(vocab.OWNERS)))
    edited = wire.sf_datetime(np.array([now - 10 * DAY] * len(vocab.OWNERS)))
    out = []
    for i, ((name, _), user_id) in enumerate(zip(vocab.OWNERS, USER_IDS, strict=True)):
        first, last = name.split()[0], name.split()[-1]
        out.append({
            "attributes": {"type": "User", "url": f"/services/data/{API_VERSION}/sobjects/User/{user_id}"},
            "Id": user_id, "Name": name, "FirstName": first, "LastName": last,
            "Email": None if i == NO_SALESFORCE_EMAIL else owner_email(name),
            "Username": owner_email(name) + ".crm", "IsActive": i != LEFT,
            "CreatedDate": created[i], "LastModifiedDate": edited[i], "SystemModstamp": edited[i],
            "IsDeleted": False,
        })
    return out
