"""What the user asked, as plain data: options, settings, prompt, attachments."""
