"""The seeded traffic simulator behind ``beacon simulate``.

Who visits and from where is data: :mod:`traffic.devices`, :mod:`traffic.geography`,
:mod:`traffic.sites` (pages, links, custom events, conversions) and :mod:`traffic.sources`;
:mod:`traffic.visitors` draws a visitor from them and :mod:`traffic.model` generates
visitors and their events for a seed (pure, deterministic),
:mod:`traffic.wire` turns them into the HTTP requests each wire protocol sends (pure),
:mod:`traffic.truth` summarises what was generated per site and day (pure), and
:mod:`traffic.send` and :mod:`traffic.simulate` do the I/O: send to a collector, report.
"""
