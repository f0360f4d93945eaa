"""A minimal file of each kind the uploads accept, for the upload tests."""

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
