"""Languages: which catalogs there are and their translations (`languages`), how a locale
writes dates, times, money and names (`formats`), and keeping catalogs up to date
(`catalogs`)."""
