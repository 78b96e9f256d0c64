"""Which referring hosts are search engines, social networks and webmail, as data.

A host matches an entry when it is the entry or a subdomain of it ("l.facebook.com" matches
"facebook.com"). Brands that run one site per country (google.de, yandex.ru) are listed by
the name left of the public suffix instead. Exact webmail hosts win over brands, so
mail.google.com is email, not search. Android apps send ``android-app://<package>`` as the
referrer; their package names are listed too.
"""

from __future__ import annotations

from typing import Final

SEARCH: Final = "search"
SOCIAL: Final = "social"
EMAIL: Final = "email"

EMAIL_HOSTS: frozenset[str] = frozenset(
    {
        "mail.google.com",
        "inbox.google.com",
        "outlook.live.com",
        "outlook.office.com",
        "outlook.office365.com",
        "mail.yahoo.com",
        "mail.yahoo.co.jp",
        "mail.aol.com",
        "mail.proton.me",
        "mail.protonmail.com",
        "mail.yandex.ru",
        "mail.yandex.com",
        "e.mail.ru",
        "mail.zoho.com",
        "mail.zoho.eu",
        "mail.qq.com",
        "mail.163.com",
        "mail.126.com",
        "mail.naver.com",
        "mail.daum.net",
        "navigator-bs.gmx.com",
        "navigator.gmx.net",
        "navigator.web.de",
        "email.t-online.de",
        "webmail.orange.fr",
        "mail.libero.it",
        "app.fastmail.com",
        "www.icloud.com",
        "app.tuta.com",
        "mail.tutanota.com",
        "mail.hey.com",
    }
)

SEARCH_HOSTS: frozenset[str] = frozenset(
    {
        "bing.com",
        "duckduckgo.com",
        "search.brave.com",
        "ecosia.org",
        "startpage.com",
        "qwant.com",
        "search.yahoo.com",
        "search.aol.com",
        "ask.com",
        "baidu.com",
        "m.baidu.com",
        "sogou.com",
        "so.com",
        "naver.com",
        "search.naver.com",
        "seznam.cz",
        "search.seznam.cz",
        "coccoc.com",
        "kagi.com",
        "mojeek.com",
        "presearch.com",
        "you.com",
        "perplexity.ai",
        "search.lilo.org",
        "metager.org",
        "swisscows.com",
        "dogpile.com",
        "search.goo.ne.jp",
        "petalsearch.com",
        "search.daum.net",
    }
)
# Search brands with a site per country: matched on the label left of the public suffix.
SEARCH_BRANDS: frozenset[str] = frozenset({"google", "yandex", "bing", "yahoo", "ecosia"})

SOCIAL_HOSTS: frozenset[str] = frozenset(
    {
        "facebook.com",
        "fb.com",
        "fb.me",
        "messenger.com",
        "instagram.com",
        "threads.net",
        "threads.com",
        "whatsapp.com",
        "t.co",
        "twitter.com",
        "x.com",
        "linkedin.com",
        "lnkd.in",
        "reddit.com",
        "redd.it",
        "youtube.com",
        "youtu.be",
        "tiktok.com",
        "pinterest.com",
        "pin.it",
        "snapchat.com",
        "tumblr.com",
        "quora.com",
        "vk.com",
        "ok.ru",
        "weibo.com",
        "weibo.cn",
        "douyin.com",
        "xiaohongshu.com",
        "zhihu.com",
        "line.me",
        "t.me",
        "telegram.org",
        "discord.com",
        "discord.gg",
        "bsky.app",
        "mastodon.social",
        "mastodon.online",
        "news.ycombinator.com",
        "medium.com",
        "slack.com",
        "twitch.tv",
        "xing.com",
        "nextdoor.com",
        "flipboard.com",
    }
)
SOCIAL_BRANDS: frozenset[str] = frozenset({"facebook", "pinterest", "linkedin"})

ANDROID_APPS: dict[str, str] = {
    "com.google.android.gm": EMAIL,
    "com.microsoft.office.outlook": EMAIL,
    "com.yahoo.mobile.client.android.mail": EMAIL,
    "ch.protonmail.android": EMAIL,
    "com.google.android.googlequicksearchbox": SEARCH,
    "com.google.android.gms": SEARCH,
    "com.facebook.katana": SOCIAL,
    "com.facebook.lite": SOCIAL,
    "com.facebook.orca": SOCIAL,
    "com.instagram.android": SOCIAL,
    "com.twitter.android": SOCIAL,
    "com.linkedin.android": SOCIAL,
    "com.reddit.frontpage": SOCIAL,
    "com.pinterest": SOCIAL,
    "com.zhiliaoapp.musically": SOCIAL,
    "org.telegram.messenger": SOCIAL,
    "com.whatsapp": SOCIAL,
    "com.discord": SOCIAL,
    "com.google.android.youtube": SOCIAL,
}

# utm_medium values that mean a newsletter or mailing.
EMAIL_MEDIUMS: frozenset[str] = frozenset({"email", "e-mail", "e_mail", "newsletter", "mail"})
