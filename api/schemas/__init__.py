"""The API's request and answer models, by area; ``common`` holds the bundles and the error model."""
