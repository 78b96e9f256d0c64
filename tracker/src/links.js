// Which clicked links are worth an event: downloads (by file extension) and links that leave
// the site. Pure: takes the link's absolute href and the page's host.

const DOWNLOAD =
  /\.(7z|apk|csv|deb|dmg|docx?|exe|gz|iso|mp3|mp4|msi|pdf|pkg|pptx?|rar|txt|xlsx?|zip)$/i

/** [event name, properties] for a clicked link, or 0 when the click is not worth an event. */
export const linkEvent = (href, host) => {
  const u = new URL(href)
  const ext = DOWNLOAD.exec(u.pathname)
  return !/^http/.test(href) // mailto:, tel:, javascript:
    ? 0
    : ext
    ? ['file_download', { url: href, ext: ext[1].toLowerCase() }]
    : u.host != host
      ? ['outbound_click', { url: href }]
      : 0
}
