"""The web app: server-rendered pages over the domain services, with every asset served locally."""
