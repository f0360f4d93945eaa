"""openpyxl readers and writers for every Excel format the product speaks."""
