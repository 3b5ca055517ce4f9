"""Vocabularies for the benchmark corpus: well-known SaaS domains, user agents, words.

The SaaS list is written for this project (real, public domain names of
well-known services, a URL-filter style category, and the sub-domains a proxy
commonly sees). It only shapes synthetic traffic; it is not the app catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

# domain | service name | URL category | usual sub-domains (space separated)
_SAAS = """
microsoft.com|Microsoft|Professional Services|www login go aka download update
office.com|Microsoft 365|Online Productivity|www portal login outlook
office365.com|Microsoft 365|Online Productivity|outlook substrate
live.com|Microsoft Live|Web Based Email|login outlook onedrive
sharepoint.com|SharePoint Online|Online Productivity|contoso contoso-my
onedrive.com|OneDrive|Online Storage|www api
teams.microsoft.com|Microsoft Teams|Online Collaboration|
skype.com|Skype|Instant Messaging|www api
windowsupdate.com|Windows Update|Software Updates|download ctldl
azure.com|Microsoft Azure|Professional Services|portal management
azureedge.net|Azure CDN|Content Delivery|
msftconnecttest.com|Microsoft NCSI|Computer and Internet Info|www
linkedin.com|LinkedIn|Professional Networking|www static media
github.com|GitHub|Computer and Internet Info|www api codeload gist
githubusercontent.com|GitHub|Computer and Internet Info|raw objects avatars
gitlab.com|GitLab|Computer and Internet Info|www
bitbucket.org|Bitbucket|Computer and Internet Info|www api
atlassian.net|Atlassian Cloud|Online Collaboration|contoso
atlassian.com|Atlassian|Online Collaboration|www id
slack.com|Slack|Online Collaboration|app files api edgeapi wss-primary
slack-edge.com|Slack|Online Collaboration|a b
zoom.us|Zoom|Online Collaboration|www us02web us04web
webex.com|Webex|Online Collaboration|www contoso
google.com|Google|Search Engines|www accounts drive docs mail
googleapis.com|Google APIs|Computer and Internet Info|www fonts storage
gstatic.com|Google Static|Content Delivery|www fonts ssl
googleusercontent.com|Google User Content|Online Storage|lh3 doc-0s
youtube.com|YouTube|Streaming Media|www m
ytimg.com|YouTube|Streaming Media|i
gmail.com|Gmail|Web Based Email|www
yahoo.com|Yahoo|Web Based Email|www mail login
proton.me|Proton Mail|Web Based Email|mail account drive
protonmail.com|Proton Mail|Web Based Email|mail
gmx.net|GMX|Web Based Email|www
mail.ru|Mail.ru|Web Based Email|e
dropbox.com|Dropbox|Online Storage|www content api uc
dropboxapi.com|Dropbox|Online Storage|content api
box.com|Box|Online Storage|app api upload
wetransfer.com|WeTransfer|File Sharing|www
mega.nz|MEGA|File Sharing|www g
mega.io|MEGA|File Sharing|www
mediafire.com|MediaFire|File Sharing|www
pcloud.com|pCloud|Online Storage|www
icloud.com|iCloud|Online Storage|www p24
sendspace.com|SendSpace|File Sharing|www
filetransfer.io|Filetransfer.io|File Sharing|www
openai.com|ChatGPT|Generative AI|chat api auth cdn
chatgpt.com|ChatGPT|Generative AI|www cdn
claude.ai|Claude|Generative AI|www api
anthropic.com|Anthropic|Generative AI|www api
gemini.google.com|Gemini|Generative AI|
perplexity.ai|Perplexity|Generative AI|www
mistral.ai|Mistral|Generative AI|chat api
deepseek.com|DeepSeek|Generative AI|chat api
poe.com|Poe|Generative AI|www
huggingface.co|Hugging Face|Generative AI|www cdn-lfs
character.ai|Character.AI|Generative AI|www neo
copilot.microsoft.com|Microsoft Copilot|Generative AI|
deepl.com|DeepL|Translators|www api-free
grammarly.com|Grammarly|Online Productivity|www capi
notion.so|Notion|Online Productivity|www
trello.com|Trello|Online Productivity|www api
asana.com|Asana|Online Productivity|app
monday.com|monday.com|Online Productivity|contoso
miro.com|Miro|Online Collaboration|www
canva.com|Canva|Online Productivity|www static
figma.com|Figma|Online Productivity|www
airtable.com|Airtable|Online Productivity|www api
evernote.com|Evernote|Online Productivity|www
salesforce.com|Salesforce|Professional Services|contoso login
force.com|Salesforce|Professional Services|contoso
hubspot.com|HubSpot|Marketing|app api
zendesk.com|Zendesk|Professional Services|contoso
servicenow.com|ServiceNow|Professional Services|contoso
workday.com|Workday|Professional Services|wd3
okta.com|Okta|Computer and Internet Info|contoso login
docusign.net|DocuSign|Professional Services|www account
docusign.com|DocuSign|Professional Services|www
adobe.com|Adobe|Computer and Internet Info|www auth
adobelogin.com|Adobe|Computer and Internet Info|ims-na1
zoho.com|Zoho|Online Productivity|www mail
mailchimp.com|Mailchimp|Marketing|www
surveymonkey.com|SurveyMonkey|Online Productivity|www
typeform.com|Typeform|Online Productivity|www
smartsheet.com|Smartsheet|Online Productivity|app
wrike.com|Wrike|Online Productivity|www
clickup.com|ClickUp|Online Productivity|app
basecamp.com|Basecamp|Online Productivity|3
calendly.com|Calendly|Online Productivity|www
amazon.com|Amazon|Online Shopping|www
amazonaws.com|Amazon Web Services|Professional Services|s3 ec2 console
cloudfront.net|CloudFront|Content Delivery|d1 d2 d3
akamaihd.net|Akamai|Content Delivery|a b
akamaized.net|Akamai|Content Delivery|a
cloudflare.com|Cloudflare|Computer and Internet Info|www dash
fastly.net|Fastly|Content Delivery|global
apple.com|Apple|Computer and Internet Info|www swscan gdmf
facebook.com|Facebook|Social Networking|www m graph
fbcdn.net|Facebook|Social Networking|static scontent
instagram.com|Instagram|Social Networking|www i
twitter.com|Twitter|Social Networking|api
x.com|X|Social Networking|www api
twimg.com|Twitter|Social Networking|pbs abs
tiktok.com|TikTok|Social Networking|www
reddit.com|Reddit|Social Networking|www oauth
redditmedia.com|Reddit|Social Networking|www
pinterest.com|Pinterest|Social Networking|www
whatsapp.com|WhatsApp|Instant Messaging|web
whatsapp.net|WhatsApp|Instant Messaging|mmg
telegram.org|Telegram|Instant Messaging|web
discord.com|Discord|Instant Messaging|www cdn
signal.org|Signal|Instant Messaging|updates
netflix.com|Netflix|Streaming Media|www
nflxvideo.net|Netflix|Streaming Media|ipv4-c001
spotify.com|Spotify|Streaming Media|open api
twitch.tv|Twitch|Streaming Media|www
vimeo.com|Vimeo|Streaming Media|player
soundcloud.com|SoundCloud|Streaming Media|www
wikipedia.org|Wikipedia|Reference|en www
stackoverflow.com|Stack Overflow|Computer and Internet Info|www
bing.com|Bing|Search Engines|www
duckduckgo.com|DuckDuckGo|Search Engines|www
nytimes.com|New York Times|News and Media|www
bbc.co.uk|BBC|News and Media|www
cnn.com|CNN|News and Media|www edition
reuters.com|Reuters|News and Media|www
lemonde.fr|Le Monde|News and Media|www
ebay.com|eBay|Online Shopping|www
paypal.com|PayPal|Finance|www
booking.com|Booking.com|Travel|www
airbnb.com|Airbnb|Travel|www
nordvpn.com|NordVPN|Anonymizer|www api
expressvpn.com|ExpressVPN|Anonymizer|www
protonvpn.com|Proton VPN|Anonymizer|api
hola.org|Hola VPN|Anonymizer|client
hidemyass.com|HideMyAss|Anonymizer|www
torproject.org|Tor Project|Anonymizer|www dist
bet365.com|bet365|Gambling|www
pokerstars.com|PokerStars|Gambling|www
williamhill.com|William Hill|Gambling|sports
thepiratebay.org|The Pirate Bay|Peer-to-Peer|www
1337x.to|1337x|Peer-to-Peer|www
rarbg.to|RARBG|Peer-to-Peer|www
doubleclick.net|DoubleClick|Web Ads|stats ad
googlesyndication.com|Google Ads|Web Ads|pagead2 tpc
google-analytics.com|Google Analytics|Web Analytics|www region1
googletagmanager.com|Google Tag Manager|Web Analytics|www
hotjar.com|Hotjar|Web Analytics|script
segment.io|Segment|Web Analytics|api cdn
sentry.io|Sentry|Computer and Internet Info|o1
newrelic.com|New Relic|Computer and Internet Info|bam js-agent
digicert.com|DigiCert|Computer and Internet Info|ocsp crl3
letsencrypt.org|Let's Encrypt|Computer and Internet Info|r3 ocsp
"""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class Saas:
    """One well-known service: its domain, service name, category and usual sub-domains."""

    domain: str
    service: str
    category: str
    subdomains: tuple[str, ...]

    def hosts(self) -> list[str]:
        """The domain itself (or its ``www``) and each usual sub-domain."""
        subs = [f"{s}.{self.domain}" for s in self.subdomains]
        return subs if subs else [self.domain]


SAAS: tuple[Saas, ...] = tuple(
    Saas(d, s, c, tuple(subs.split()))
    for d, s, c, subs in (line.split("|") for line in _SAAS.strip().splitlines())
)

#: Categories for synthetic (uncatalogued) hosts.
UNKNOWN_CATEGORIES = (
    "Miscellaneous or Unknown",
    "Business and Economy",
    "Computer and Internet Info",
    "Professional Services",
    "Corporate Marketing",
    "Blogs",
)

#: Words to assemble synthetic host names from.
WORDS = _words(
    "acme alpha apex arc atlas aurora axis beacon blue bolt bright cedar cloud core crest "
    "delta drift echo ember falcon flux forge frame globe harbor helix hub ion iris jade kite "
    "lab lake leaf lime link lumen maple metric mint nexus nimbus nova oak onyx orbit pixel "
    "pulse quartz quest rapid ridge river rocket sage scope shift signal silver spark sphere "
    "spruce stack stone summit swift tide trail vector vertex vista wave zen zephyr"
)
TLDS = ("com", "net", "io", "co", "org", "app", "dev", "cloud", "de", "fr", "co.uk", "info")

#: User agents: spaces, commas, semicolons; a few carry a raw ``|``.
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Teams 24004.1403.2634; Pro) | ms-teams",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.38.125 Chrome/122.0.6261.156 Electron/29.3.0 Safari/537.36 Sonic Slack_SSB/4.38.125",
    "OneDriveSyncEngine/24.076.0414.0001 (Windows NT 10.0; x64) | OneDrive",
    "DropboxDesktopClient/199.4.6287 (Windows; 10; x64; en_US)",
    "Microsoft-CryptoAPI/10.0",
    "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.71",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Zoom 5.17.11 (Windows; 10.0.19045; x64)",
    "git/2.44.0",
    "Spotify/1.2.36.955 Win32_x86_64/0 (PC desktop)",
    "WhatsApp/2.24.8.85 W, Windows",
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E)",
)

FIRST_NAMES = _words(
    "adam alice amir anna ben carla chen chloe david diana eric elena farid fatima george "
    "grace hana ivan jack julia karim kate liam lucia marc maria nina noah olga omar paul "
    "petra quinn rosa sam sara tom uma victor wei xavier yara yusuf zoe"
)
LAST_NAMES = _words(
    "adams bauer costa dubois evans fischer garcia haddad ito jensen kowalski lopez martin "
    "nguyen novak okafor patel quinn rossi schmidt tanaka usman varga weber xu young zhang"
)
DEPARTMENTS = (
    "Finance",
    "Sales",
    "Engineering",
    "Marketing",
    "HR",
    "Legal",
    "IT Operations",
    "Customer Support",
    "R&D",
    "Executive Office",
)
PATH_WORDS = _words(
    "api v1 v2 files upload download static assets js css img images user users account "
    "login auth oauth2 token session docs share s view edit content media search feed "
    "settings profile messages chat conversation backend-api public graph rest data sync"
)
EXTENSIONS = (
    "",
    "",
    "",
    ".js",
    ".css",
    ".png",
    ".json",
    ".html",
    ".svg",
    ".woff2",
    ".php",
    ".aspx",
)
