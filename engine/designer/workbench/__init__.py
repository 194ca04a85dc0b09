"""The designers' workbench: uploads, drafts, version differences and scenario coverage for the web pages."""
