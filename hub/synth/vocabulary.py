"""Word lists the generator draws company names, people, places and texts from."""

from __future__ import annotations

# The seed's Industry options, in the seed's order; indices into this tuple are the true industry.
INDUSTRIES = ("News", "Stock Photos", "E-commerce", "Creator Platform", "Research", "Other")
INDUSTRY_WEIGHTS = (0.18, 0.12, 0.20, 0.18, 0.10, 0.22)

# How each CRM spells an industry: HubSpot's industry enum, Salesforce's standard picklist.
HUBSPOT_INDUSTRIES = (
    ("ONLINE_MEDIA", "NEWSPAPERS", "BROADCAST_MEDIA"),
    ("PHOTOGRAPHY",),
    ("RETAIL", "INTERNET", "CONSUMER_GOODS"),
    ("ONLINE_MEDIA", "ENTERTAINMENT", "MEDIA_PRODUCTION"),
    ("RESEARCH", "HIGHER_EDUCATION"),
    ("COMPUTER_SOFTWARE", "INFORMATION_TECHNOLOGY_AND_SERVICES", "FINANCIAL_SERVICES"),
)
SALESFORCE_INDUSTRIES = (
    ("Media", "Communications"),
    ("Media", "Entertainment"),
    ("Retail", "Consumer Goods"),
    ("Entertainment", "Media"),
    ("Education", "Biotechnology"),
    ("Technology", "Finance", "Consulting", "Other"),
)

_STEM_STARTS = (
    "Ab Ac Ad Ag Al Am An Ap Ar As At Au Av Ax Az Bel Bis Bla Bo Bri Cal Cam Car Cel Cir Clo Cor "
    "Cre Cy Dal Dar Del Dex Dor Dyn El Em En Ev Fal Fen Fer Flo Fyn Gal Gen Gla Gra Hal Hel Hex Hy "
    "Il In Ion Jar Jun Kai Kal Kel Kin Lam Lev Lin Lu Lyr Mag Mar Mer Mo Myr Nav Neb Nex Nor Nov Ob "
    "Oc Om Or Pal Pax Pel Pho Pol Qua Quin Ral Rev Rho Sal Sen Sol Syn Tal Tel Ter Tri Ul Val Vel "
    "Ver Vin Vox Wex Xan Yor Zan Zel Zen Zor"
).split()
_STEM_ENDS = (
    "a ado ae al ana ance ar ara ari aro as ava ax ea el ela en era ero ex ia ian ic ica ico ida "
    "ify ik ily ina io ion is ium iva ix o on ona ora os ova ox um una us ya yx eon esk ent ori uma "
    "ynth ovo etra adia ello ura ander"
).split()
_ADJECTIVES = (
    "Blue Bright Clear Silver Golden Green Red North South East West True Open Swift Bold Quiet "
    "Deep High Wide Iron Stone Sun Moon Star Cloud Rapid Prime Pure Solid Smart Sharp Grand Little "
    "Big First Next Urban Wild Lucky Vivid Crystal Amber Coral Cedar Maple Pine Oak River Harbor "
    "Summit Sky Ocean Crimson Indigo Polar Lunar Solar Alpine Noble Fair"
).split()
_NOUNS = (
    "path point field bridge gate line light wave stream peak ridge way works craft forge frame lens "
    "pixel view scope sight mark print page post wire signal beacon anchor compass haven nest hive "
    "loop stack grid base port yard dock mill well spring leaf root seed bloom rock hill vale wood "
    "brook lake bay shore crest cliff arc spark flare flash shift trail track key lock vault shield "
    "label proof seal stamp tag glyph ink quill canvas"
).split()

# Second words of company names, with the industry they hint at (-1: any industry).
DESCRIPTORS = tuple(
    (word, industry)
    for industry, words in (
        (0, "News Media Press Daily Times Journal Herald Broadcasting Publishing"),
        (1, "Photo Images Pictures Stock Visuals Imaging Photography"),
        (2, "Commerce Shop Market Retail Goods Store Brands Trading"),
        (3, "Studio Studios Creators Collective Creative Social Channel"),
        (4, "Research Labs Institute Analytics Insights Sciences Data"),
        (
            -1,
            "Systems Technologies Solutions Group Partners Digital Software Works Security Cloud "
            "AI Health Finance Logistics Legal Capital Network",
        ),
    )
    for word in words.split()
)


def name_stems() -> list[str]:
    """Distinct brand stems ("Zenora", "Brightpath"), about 11,000 of them."""
    coined = [start + end for start in _STEM_STARTS for end in _STEM_ENDS]
    compound = [adjective + noun for adjective in _ADJECTIVES for noun in _NOUNS]
    return list(dict.fromkeys(coined + compound))


# (code, names as sources spell them, weight, legal forms with weights, top-level domains with weights)
COUNTRIES = (
    (
        "US",
        ("United States", "USA", "US", "United States of America"),
        0.45,
        (("Inc.", 0.5), ("LLC", 0.25), ("Corporation", 0.15), ("Co.", 0.1)),
        ((".com", 0.7), (".io", 0.2), (".ai", 0.1)),
    ),
    (
        "GB",
        ("United Kingdom", "UK", "GB", "England"),
        0.15,
        (("Ltd", 0.85), ("PLC", 0.15)),
        ((".co.uk", 0.6), (".com", 0.3), (".io", 0.1)),
    ),
    (
        "DE",
        ("Germany", "DE", "Deutschland"),
        0.08,
        (("GmbH", 0.85), ("AG", 0.15)),
        ((".de", 0.7), (".com", 0.3)),
    ),
    ("CA", ("Canada", "CA"), 0.06, (("Inc.", 0.7), ("Ltd", 0.3)), ((".ca", 0.5), (".com", 0.5))),
    ("FR", ("France", "FR"), 0.05, (("SAS", 0.7), ("SA", 0.3)), ((".fr", 0.7), (".com", 0.3))),
    (
        "IN",
        ("India", "IN"),
        0.05,
        (("Pvt Ltd", 1.0),),
        ((".in", 0.4), (".co.in", 0.2), (".com", 0.4)),
    ),
    (
        "NL",
        ("Netherlands", "NL", "The Netherlands"),
        0.04,
        (("B.V.", 1.0),),
        ((".nl", 0.7), (".com", 0.3)),
    ),
    ("AU", ("Australia", "AU"), 0.04, (("Pty Ltd", 1.0),), ((".com.au", 0.7), (".com", 0.3))),
    ("ES", ("Spain", "ES", "España"), 0.03, (("S.L.", 1.0),), ((".es", 0.7), (".com", 0.3))),
    ("SE", ("Sweden", "SE"), 0.03, (("AB", 1.0),), ((".se", 0.7), (".com", 0.3))),
    ("IE", ("Ireland", "IE"), 0.02, (("Ltd", 1.0),), ((".ie", 0.6), (".com", 0.4))),
)

# How a legal form is written in a name; the first spelling is the canonical one.
LEGAL_SPELLINGS = {
    "Inc.": (" Inc.", " Inc", ", Inc.", ", Inc", " Incorporated"),
    "LLC": (" LLC", ", LLC", " L.L.C."),
    "Corporation": (" Corporation", " Corp.", " Corp"),
    "Co.": (" Co.", " Company", " & Co."),
    "Ltd": (" Ltd", " Ltd.", " Limited"),
    "PLC": (" PLC", " plc"),
    "GmbH": (" GmbH",),
    "AG": (" AG",),
    "SAS": (" SAS", " S.A.S."),
    "SA": (" SA", " S.A."),
    "Pvt Ltd": (" Pvt Ltd", " Private Limited", " Pvt. Ltd."),
    "B.V.": (" B.V.", " BV"),
    "Pty Ltd": (" Pty Ltd", " Pty. Ltd."),
    "S.L.": (" S.L.", " SL"),
    "AB": (" AB",),
}

# (city, country code, spellings other sources use); several companies share each city.
CITIES = (
    ("San Francisco", "US", ("SF", "San Francisco, CA")),
    ("New York", "US", ("New York City", "NYC")),
    ("Austin", "US", ()),
    ("Seattle", "US", ()),
    ("Boston", "US", ()),
    ("Chicago", "US", ()),
    ("Los Angeles", "US", ("LA",)),
    ("Denver", "US", ()),
    ("Atlanta", "US", ()),
    ("Miami", "US", ()),
    ("Portland", "US", ()),
    ("San Diego", "US", ()),
    ("Raleigh", "US", ()),
    ("Minneapolis", "US", ()),
    ("London", "GB", ()),
    ("Manchester", "GB", ()),
    ("Edinburgh", "GB", ()),
    ("Bristol", "GB", ()),
    ("Cambridge", "GB", ()),
    ("Berlin", "DE", ()),
    ("Munich", "DE", ("München",)),
    ("Hamburg", "DE", ()),
    ("Cologne", "DE", ("Köln",)),
    ("Toronto", "CA", ()),
    ("Vancouver", "CA", ()),
    ("Montreal", "CA", ("Montréal",)),
    ("Paris", "FR", ()),
    ("Lyon", "FR", ()),
    ("Bangalore", "IN", ("Bengaluru",)),
    ("Mumbai", "IN", ()),
    ("Pune", "IN", ()),
    ("Amsterdam", "NL", ()),
    ("Rotterdam", "NL", ()),
    ("Sydney", "AU", ()),
    ("Melbourne", "AU", ()),
    ("Madrid", "ES", ()),
    ("Barcelona", "ES", ()),
    ("Stockholm", "SE", ()),
    ("Dublin", "IE", ()),
)

# Country calling code and the national number's fixed leading digits and length.
PHONE_PLANS = {
    "US": ("1", ("415555", "212555", "512555", "206555", "617555"), 10),
    "CA": ("1", ("416555", "604555"), 10),
    "GB": ("44", ("2079", "1614"), 10),
    "DE": ("49", ("30", "89"), 10),
    "FR": ("33", ("1",), 9),
    "IN": ("91", ("80",), 10),
    "NL": ("31", ("20",), 9),
    "AU": ("61", ("2",), 9),
    "ES": ("34", ("91",), 9),
    "SE": ("46", ("8",), 9),
    "IE": ("353", ("1",), 8),
}

FREEMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com")
FREEMAIL_WEIGHTS = (0.55, 0.15, 0.18, 0.12)

FIRST_NAMES = (
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara Richard "
    "Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony Betty Mark "
    "Sandra Donald Ashley Steven Emily Paul Kimberly Andrew Donna Joshua Michelle Kenneth Carol Kevin "
    "Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Laura Edward Sharon "
    "Jeffrey Cynthia Ryan Kathleen Jacob Amy Gary Angela Nicholas Shirley Eric Anna Jonathan Brenda "
    "Stephen Pamela Larry Emma Justin Nicole Scott Helen Brandon Samantha Benjamin Katherine Samuel "
    "Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia "
    "Dennis Heather Jerry Diane Tyler Julie Aaron Joyce Jose Victoria Adam Ruth Nathan Virginia "
    "Henry Lauren Zachary Kelly Douglas Christina Peter Joan Kyle Evelyn Noah Judith Ethan Andrea "
    "Jeremy Hannah Walter Megan Christian Cheryl Keith Jacqueline Roger Martha Terry Madison Austin "
    "Teresa Sean Gloria Gerald Sara Carl Janice Harold Ann Dylan Kathryn Arthur Abigail Lawrence "
    "Sophia Jordan Frances Jesse Jean Bryan Alice Billy Judy Bruce Isabella Gabriel Julia Joe Grace "
    "Logan Amber Alan Denise Juan Danielle Albert Marilyn Willie Beverly Elijah Charlotte Wayne "
    "Natalie Randy Theresa Vincent Diana Mason Brittany Roy Doris Ralph Kayla Bobby Alexis Russell "
    "Lori Bradley Marie Philip Priya Arjun Wei Mei Yuki Hiro Lars Ingrid Sven Astrid Lukas Lena "
    "Mateo Lucia Pierre Camille Aoife Ciaran Ravi Ananya Omar Layla Kwame Amara"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers "
    "Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson "
    "Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders "
    "Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler "
    "Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton "
    "Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina "
    "Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington "
    "Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter "
    "Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black "
    "Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson "
    "Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce "
    "Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll "
    "Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards "
    "Okafor Nakamura Tanaka Sato Mueller Schneider Fischer Weber Dubois Laurent Rossi Bianchi Singh "
    "Sharma Gupta Iyer Larsson Nilsson Jansen deVries Murphy OBrien Byrne Kowalski Novak Haddad"
).split()

JOB_TITLES = (
    "CTO",
    "VP Engineering",
    "Head of Product",
    "Engineering Manager",
    "Founder",
    "CEO",
    "Product Manager",
    "Lead Developer",
    "Head of Content",
    "Photo Editor",
    "Director of Trust & Safety",
    "Data Scientist",
    "Research Lead",
    "Operations Manager",
    "Head of Partnerships",
    "Software Engineer",
    "Platform Architect",
    "Managing Editor",
)
# Applicants are usually the people who decide.
PRIMARY_TITLES = ("CTO", "Founder", "CEO", "Head of Product", "VP Engineering", "Managing Editor")

# The beta team: (name, HubSpot owner id); Salesforce user ids are derived from the position.
OWNERS = (
    ("Maya Chen", "71203401"),
    ("Jordan Patel", "71203402"),
    ("Sam Okafor", "71203403"),
    ("Elena Rossi", "71203404"),
    ("Chris Nakamura", "71203405"),
    ("Priya Desai", "71203406"),
)
