import assert from 'node:assert/strict'
import { test } from 'node:test'

import { linkEvent } from '../../src/links.js'

const HOST = 'shop.example'

test('a link to another host is an outbound click', () => {
  assert.deepEqual(linkEvent('https://other.example/x?y=1', HOST), [
    'outbound_click',
    { url: 'https://other.example/x?y=1' },
  ])
  // a subdomain or another port is another site too
  assert.equal(linkEvent('https://blog.shop.example/', HOST)[0], 'outbound_click')
  assert.equal(linkEvent('https://shop.example:8443/', HOST)[0], 'outbound_click')
})

test('a link on the same host is nothing', () => {
  assert.equal(linkEvent('https://shop.example/cart', HOST), 0)
  assert.equal(linkEvent('http://shop.example/cart#top', HOST), 0)
})

test('links to common files are downloads, on any host, with their extension', () => {
  assert.deepEqual(linkEvent('https://shop.example/files/Price-List.PDF', HOST), [
    'file_download',
    { url: 'https://shop.example/files/Price-List.PDF', ext: 'pdf' },
  ])
  for (const ext of ['zip', 'csv', 'xlsx', 'xls', 'docx', 'pptx', 'dmg', 'exe', 'msi', 'mp4', 'gz', '7z']) {
    const [name, props] = linkEvent(`https://cdn.example/a/file.${ext}?v=2`, HOST)
    assert.equal(name, 'file_download', ext)
    assert.equal(props.ext, ext)
  }
})

test('an extension only counts at the end of the path', () => {
  assert.equal(linkEvent('https://shop.example/pdf-guide', HOST), 0)
  assert.equal(linkEvent('https://shop.example/guide.pdf/view', HOST), 0)
  assert.equal(linkEvent('https://shop.example/page.html', HOST), 0)
})

test('mailto:, tel: and javascript: links are nothing', () => {
  assert.equal(linkEvent('mailto:sales@other.example', HOST), 0)
  assert.equal(linkEvent('tel:+41441234567', HOST), 0)
  assert.equal(linkEvent('javascript:void(0)', HOST), 0)
})
