"""Getting letters to the customer: the email that carries each (`email`), the meeting's
calendar invitation (`invitation`), PDFs and previews through LibreOffice (`pdf`), and
sending over SMTP (`smtp`)."""
