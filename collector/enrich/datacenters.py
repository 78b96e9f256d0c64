"""Networks of clouds and hosting providers, by the ASN names of the GeoLite2 ASN data that
geoip2fast ships (exact spellings). Traffic from them is scripts, crawlers or proxies far
more often than people; it is flagged, not dropped. Keep this list to providers that rent
servers: an ISP, a CDN that also carries consumer privacy relays (Cloudflare, Fastly,
Akamai's edge) or a company network would flag real visitors.
"""

from __future__ import annotations

DATACENTER_ASN_NAMES: frozenset[str] = frozenset(
    {
        # Amazon Web Services
        "AMAZON-02",
        "AMAZON-AES",
        "Amazon Data Services Ireland Ltd",
        # Google (crawlers, fetchers) and Google Cloud
        "GOOGLE",
        "GOOGLE-CLOUD-PLATFORM",
        "GOOGLE CLOUD NETWORKING",
        "GOOGLE-PRIVATE-CLOUD",
        # Microsoft Azure
        "MICROSOFT-CORP-MSN-AS-BLOCK",
        # Oracle Cloud
        "ORACLE-BMC-31898",
        # Alibaba, Tencent, Huawei clouds
        "Alibaba US Technology Co., Ltd.",
        "Alibaba Cloud Singapore Private Limited",
        "Hangzhou Alibaba Advertising Co.,Ltd.",
        "Shenzhen Tencent Computer Systems Company Limited",
        "Tencent Building, Kejizhongyi Avenue",
        "HUAWEI CLOUDS",
        "Huawei Cloud Service data center",
        # IBM Cloud
        "SOFTLAYER",
        # Hosting and VPS providers
        "DIGITALOCEAN-ASN",
        "Akamai Connected Cloud",  # formerly Linode
        "AS-CHOOPA",  # Vultr
        "AS-CHOOPA3",
        "Hetzner Online GmbH",
        "OVH SAS",
        "Contabo GmbH",
        "Contabo Asia Private Limited",
        "Scaleway S.a.s.",
        "LeaseWeb Netherlands B.V.",
        "LeaseWeb Network B.V.",
        "Leaseweb Deutschland GmbH",
        "Leaseweb Uk Limited",
        "Leaseweb Asia Pacific pte. ltd.",
        "Leaseweb Japan K.K.",
        "LEASEWEB AUSTRALIA PTY LIMITED",
        "LEASEWEB-USA-CHI",
        "LEASEWEB-USA-DAL",
        "LEASEWEB-USA-LAX",
        "LEASEWEB-USA-MIA",
        "LEASEWEB-USA-NYC",
        "LEASEWEB-USA-PHX",
        "LEASEWEB-USA-SEA",
        "LEASEWEB-USA-SFO",
        "LEASEWEB-USA-WDC",
        "M247 Europe SRL",
        "M247 Ltd",
        "M247 UK Ltd",
        "Datacamp Limited",
        "Hostinger International Limited",
        "IONOS SE",
        "HOSTWINDS",
        "AS-COLOCROSSING",
        "AS-QUADRANET",
        "ASN-QUADRANET-GLOBAL",
        "Hivelocity LLC",
        "LIMESTONENETWORKS",
        "WorldStream B.V.",
        "netcup GmbH",
        "PONYNET",
        "UpCloud Ltd",
        "UPCLOUDUSA",
        "KAMATERA",
        "Kamatera Inc",
        "Kamatera, Inc.",
        "LATITUDE-SH",
        "UAB Cherry Servers",
        "NForce Entertainment B.V.",
        "Serverius Holding B.V.",
        "Servers.com B.V.",
        "SHARKTECH",
        "TZULO",
        "DEDIPATH-LLC",
        "Clouvider Limited",
        "G-Core Labs S.A.",
        "Zenlayer",
        "OOO Network of data-centers Selectel",
        "TimeWeb Ltd.",
        "Yandex.Cloud LLC",
        "RACKSPACE",
    }
)
