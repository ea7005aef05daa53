// Sphinx's search shows a summary of each hit by fetching the hit's page. A browser refuses
// fetch() for a site opened through file:// (a CORS error and an uncaught "Failed to fetch" per
// hit), so there the search lists its hits without summaries. Served over http(s), nothing changes.
if (window.location.protocol === "file:" && typeof DOCUMENTATION_OPTIONS !== "undefined") {
  DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;
}
