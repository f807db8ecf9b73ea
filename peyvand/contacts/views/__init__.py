"""Web screens of contacts and companies, split by area (ARCHITECTURE §11: access → form → service →
page or htmx partial); urls.py maps them."""
