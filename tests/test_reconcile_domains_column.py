"""Column-wise hosts and domains give what ``hub.names`` gives, value for value."""

import random

import numpy as np

from hub.names import email_host, normalised_email, registrable_domain_of_host, website_host
from hub.reconcile.domains_column import email_parts, registrable_domains, website_hosts
from hub.synth import company_records

HOSTS = ["bad\ud800.com", "acme.com", "www.acme.com", "app.acme.co.uk", "acme.co.uk", "co.uk", "uk", "com", "localhost",
         "a.b.github.io", "github.io", "x.blogspot.com", "s3.amazonaws.com", "x.s3.amazonaws.com",
         "a..b", ".acme.com", "acme.com.", "xn--bcher-kva.de", "münchen.de", "acme.ck", "www.ck",
         "acme.kawasaki.jp", "city.kawasaki.jp", "a.b.c.d.e.f.com", "192.168.0.1", "acme", "ACME.COM",
         "acme.com.au", "shop.acme.com.au", "acme.de", "mail.acme-analytics.io", "-.com", "a.-"]


def _check(hosts):
    got = registrable_domains(np.array(hosts, dtype=object))
    assert list(got) == [registrable_domain_of_host(h) for h in hosts]


def test_tricky_hosts_match_hub_names():
    _check(HOSTS)


def test_random_hosts_match_hub_names():
    rng = random.Random(5)
    tails = ["com", "co.uk", "uk", "de", "io", "github.io", "blogspot.com", "com.au", "ck", "kawasaki.jp",
             "jp", "zz", "amazonaws.com", "s3.amazonaws.com", "", "xn--p1ai"]
    hosts = []
    for _ in range(5000):
        labels = ["".join(rng.choice("abcxyz-0") for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(0, 3))]
        hosts.append(".".join([*labels, rng.choice(tails)]).strip() or "x")
    _check(hosts)


def test_no_hosts():
    assert len(registrable_domains(np.array([], dtype=object))) == 0


WEBSITES = ["https://bad\ud800.com", "https://www.Acme.com", "HTTPS://www.Acme.com:443/x", "acme.com", "http://acme.com/", "https://", "/",
            "www.com", "www.acme.com", "wwwx.acme.com", "www.", "https://www.acme", "http://jo@acme.com",
            "jo@acme.com", "acme.com?x=1", "acme.com#a", ".acme.com", "acme.com.", "https://www./", "ftp://acme.com",
            "https://a://b", " acme.com ", "acme.com/a/b", "https://acme.com/?q=@", "app.acme.co.uk/login",
            "https://münchen.de", "acme.com\t", "http://www.www.acme.com"]
EMAILS = ["jo@bad\ud800.com", "Jo@Acme.com", "jo@@acme.com", "jo@", "@acme.com", "jo@.acme.com.", " jo@acme.com", "jo@acmé.com",
          "no-at", "a@b@c.com", "JO@MAIL.ACME.COM", "jo.smith+crm@acme.co.uk", "jo@acme.com ", "İ@acme.com"]


def test_websites_match_hub_names():
    got = website_hosts(np.array(WEBSITES, dtype=object))
    assert list(got) == [website_host(w) for w in WEBSITES]


def test_emails_match_hub_names():
    address, host, local = email_parts(np.array(EMAILS, dtype=object))
    expected = [normalised_email(e) for e in EMAILS]
    assert list(address) == expected
    assert list(host) == [email_host(a) if a else None for a in expected]
    assert list(local) == [a.rpartition("@")[0] if a else None for a in expected]


def test_generated_websites_and_emails_match_hub_names():
    records = company_records(3000, 13, "hard")
    websites = np.array(sorted(set(records["website"].dropna())), dtype=object)
    assert list(website_hosts(websites)) == [website_host(w) for w in websites]
    emails = np.array(sorted(set(records["email"].dropna())), dtype=object)
    assert list(email_parts(emails)[0]) == [normalised_email(e) for e in emails]
