"""The embedded local stack: template.yaml deployed into moto, events driven to the functions as Lambda would.

Needs the `local` extra (moto, aws-sam-translator); nothing here is imported by the Lambda functions.
"""
