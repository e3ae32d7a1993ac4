# case with globs, alternatives, character classes, fall-through to *.
for w in apple banana cherry 42 x.tar.gz "" Zed -v; do
	case "$w" in
	a*|b*) echo "$w: a or b" ;;
	[0-9]*) echo "$w: number" ;;
	*.tar.*) echo "$w: tarball" ;;
	"") echo "empty" ;;
	[[:upper:]]*) echo "$w: upper" ;;
	-?) echo "$w: option" ;;
	*) echo "$w: other" ;;
	esac
done
case x in (x) echo parenthesised ;; esac
case foo in f?o) echo question ;; esac
case 'a*b' in 'a*b') echo quoted-star ;; esac
