# Here-documents: expanded, quoted, tab-stripped, to a command and a loop.
name=world
cat <<EOT
hello $name
sum $((2 + 3)) $(echo cmd)
\$escaped
EOT
cat <<'EOT'
literal $name $(echo no)
EOT
cat <<-EOT
	tab stripped $name
		twice
	EOT
while read a b; do echo "$b-$a"; done <<EOT
1 one
2 two
EOT
tr a-z A-Z <<EOT | sed 's/O/0/g'
piped heredoc to
EOT
cat <<A; cat <<B
first
A
second
B
