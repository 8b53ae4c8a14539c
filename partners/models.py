# Models arrive with the signposting and partner directory issues.
