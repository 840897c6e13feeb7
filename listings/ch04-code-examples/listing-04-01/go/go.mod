module listing-04-01

go 1.19
