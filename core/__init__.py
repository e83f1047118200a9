"""What the API, the workers, the CLI and training share: settings, errors, the job contract, the task registry."""
