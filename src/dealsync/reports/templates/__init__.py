"""Static assets the HTML report inlines (CSS, JavaScript): no CDN, the file opens offline."""
