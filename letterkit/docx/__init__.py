"""Word templates: reading their parts (`parts`), the Jinja environment they render in
(`environment`), compiling and rendering them (`compiled`, `zipjoin`), finding them
(`find`), the fields they may use (`fields`), their wording (`messages`) and checking them
for admins (`check`)."""
